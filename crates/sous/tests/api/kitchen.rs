//! The kitchen: routing of a mixed order to stations, bump and the recall window, course hold
//! and fire, expo readiness with the guest's notification, branch and tenant isolation, the
//! live `kitchen` stream and the printable ticket.

use std::time::Duration;

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SseClient, at, claims, line, menu, spawn_app};

fn names(t: &Value) -> Vec<String> {
    let mut n: Vec<String> = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_mixed_order_is_routed_to_its_stations_once() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (waiter, kitchen, manager) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
        app.manager().await,
    );
    let m = menu(&app, riyadh).await;

    // Category default: Fattoush loses its own station hint, and Salads are routed to the bar
    // here; the burger keeps its hint (grill) although Burgers are routed to the cold station.
    sqlx::query("update items set station = null where name = 'Fattoush'")
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    let mut categories = vec![];
    for item in ["Fattoush", "Classic Beef Burger"] {
        let c: Uuid = sqlx::query_scalar("select category_id from items where name = $1")
            .bind(item)
            .fetch_one(&mut app.db.owner_conn().await)
            .await
            .unwrap();
        categories.push(c);
    }
    let category = |item: &str| json!(categories[usize::from(item != "Fattoush")]);
    for (item, station) in [("Fattoush", "bar"), ("Classic Beef Burger", "cold")] {
        app.call(
            reqwest::Method::PUT,
            &format!("/api/branches/{riyadh}/kitchen/routes"),
            Some(&manager),
            Some(json!({ "categoryId": category(item), "station": station })),
        )
        .await
        .expect(204);
    }
    let bad = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/branches/{riyadh}/kitchen/routes"),
            Some(&manager),
            Some(json!({ "categoryId": category("Fattoush"), "station": "expo" })),
        )
        .await;
    assert_eq!(bad.status, 422, "expo receives no tickets: {}", bad.body);

    let mut fries = line(&m, "French Fries", 2);
    fries["notes"] = json!("extra crispy");
    let id = app
        .order()
        .kind("dine_in")
        .table("T7")
        .line("Classic Beef Burger", 1)
        .with_line(fries)
        .line("Fattoush", 1)
        .line("Pepsi", 2)
        .placed_id(&waiter)
        .await;
    assert!(
        app.tickets_of(&kitchen, &id).await.is_empty(),
        "a placed order is not in the kitchen yet"
    );
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);

    let tickets = app.tickets_of(&kitchen, &id).await;
    assert_eq!(tickets.len(), 3, "{tickets:?}");
    assert_eq!(names(at(&tickets, "grill")), ["Classic Beef Burger"]);
    assert_eq!(names(at(&tickets, "fryer")), ["French Fries"]);
    assert_eq!(names(at(&tickets, "bar")), ["Fattoush", "Pepsi"]);
    let fryer = at(&tickets, "fryer");
    assert_eq!(fryer["items"][0]["quantity"], 2);
    assert_eq!(fryer["items"][0]["notes"], "extra crispy");
    assert_eq!(fryer["table"], "T7");
    assert_eq!(fryer["orderType"], "dine_in");
    assert_eq!(fryer["status"], "new");
    assert_eq!(fryer["timing"], "on_time");
    assert_eq!(fryer["targetSeconds"], 240, "the fries' prep time");

    // Each station's screen lists its own tickets; all-day counts what is still to make.
    let grill = app
        .get(
            &format!("/api/branches/{riyadh}/kitchen/tickets?station=grill"),
            &kitchen,
        )
        .await
        .expect(200);
    assert_eq!(grill.as_array().unwrap().len(), 1);
    let all_day = app
        .get(&format!("/api/branches/{riyadh}/kitchen/all-day"), &kitchen)
        .await
        .expect(200);
    let count = |n: &str| {
        all_day
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .map(|r| r["quantity"].as_i64().unwrap())
    };
    assert_eq!((count("Pepsi"), count("French Fries")), (Some(2), Some(2)));

    // A second acceptance is refused by the lifecycle; the tickets exist exactly once.
    let again = app
        .post(
            &format!("/api/orders/{id}/status"),
            Some(&waiter),
            json!({ "status": "accepted" }),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from kitchen_tickets where order_id = '{id}'"
        ))
        .await,
        3
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where channel = 'kitchen' and type = 'ticket.created' \
             and payload->>'orderId' = '{id}'"
        ))
        .await,
        3,
        "one kitchen event per ticket"
    );

    // Bad input: an unknown station is a 422, not an empty list.
    let res = app
        .get(
            &format!("/api/branches/{riyadh}/kitchen/tickets?station=nope"),
            &kitchen,
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        res.headers["content-type"], "application/problem+json",
        "{}",
        res.body
    );

    // A voided order leaves the screens and its tickets take no more changes.
    app.post(
        &format!("/api/orders/{id}/status"),
        Some(&manager),
        json!({ "status": "voided", "reason": "guest left" }),
    )
    .await
    .expect(200);
    let open = app
        .get(&format!("/api/branches/{riyadh}/kitchen/tickets"), &kitchen)
        .await
        .expect(200);
    assert!(open.as_array().unwrap().is_empty(), "{open}");
    assert!(
        app.get(&format!("/api/branches/{riyadh}/kitchen/all-day"), &kitchen)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.ticket_action(&kitchen, fryer, "bump").await.code(),
        "order_ended"
    );
}

#[tokio::test]
async fn bumps_make_the_order_ready_and_recall_respects_the_window() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (waiter, kitchen, manager) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
        app.manager().await,
    );
    app.qr_orders_wait_for_staff(riyadh).await;
    let guest = app.guest_token(riyadh).await;
    let guest_id = claims(&guest)["sub"].as_str().unwrap().to_string();
    let id = app
        .order()
        .kind("dine_in")
        .table("T1")
        .line("Classic Beef Burger", 1)
        .line("French Fries", 1)
        .placed_id(&guest)
        .await;
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    let tickets = app.tickets_of(&kitchen, &id).await;
    let (grill, fryer) = (at(&tickets, "grill").clone(), at(&tickets, "fryer").clone());

    // Rush moves the fryer ticket to the front; item-level done marks one line.
    let rushed = app
        .post(
            &format!(
                "/api/kitchen/tickets/{}/rush",
                fryer["id"].as_str().unwrap()
            ),
            Some(&kitchen),
            json!({ "rush": true }),
        )
        .await
        .expect(200);
    assert_eq!(rushed["rush"], true);
    let list = app
        .get(&format!("/api/branches/{riyadh}/kitchen/tickets"), &kitchen)
        .await
        .expect(200);
    assert_eq!(list[0]["id"], fryer["id"], "rush first");
    let bad = app
        .post(
            &format!(
                "/api/kitchen/tickets/{}/rush",
                fryer["id"].as_str().unwrap()
            ),
            Some(&kitchen),
            json!({ "rush": "very" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    let item = grill["items"][0]["id"].as_str().unwrap();
    let done = app
        .post(
            &format!(
                "/api/kitchen/tickets/{}/items/{item}/done",
                grill["id"].as_str().unwrap()
            ),
            Some(&kitchen),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(done["items"][0]["done"], true);

    app.ticket_action(&kitchen, &grill, "start")
        .await
        .expect(200);
    assert_eq!(app.order_status(&waiter, &id).await, "preparing");
    assert_eq!(
        app.ticket_action(&kitchen, &grill, "start").await.status,
        409
    );
    app.ticket_action(&kitchen, &grill, "bump")
        .await
        .expect(200);
    assert_eq!(
        app.order_status(&waiter, &id).await,
        "preparing",
        "the fryer is not done yet"
    );
    let bumped = app
        .ticket_action(&kitchen, &fryer, "bump")
        .await
        .expect(200);
    assert_eq!(bumped["status"], "bumped");
    assert_eq!(
        app.order_status(&waiter, &id).await,
        "ready",
        "expo: all bumped"
    );
    assert_eq!(
        app.ticket_action(&kitchen, &fryer, "bump").await.code(),
        "already_bumped"
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where channel = 'notifications' and type = 'order.ready' \
             and audience = '{guest_id}' and payload->>'orderId' = '{id}'"
        ))
        .await,
        1,
        "the guest is told their order is ready"
    );
    assert!(
        app.get(&format!("/api/branches/{riyadh}/kitchen/tickets"), &kitchen)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .is_empty(),
        "bumped tickets leave the screen"
    );

    // Recall within the window: the ticket is back and the order is preparing again.
    let recalled = app
        .ticket_action(&kitchen, &fryer, "recall")
        .await
        .expect(200);
    assert_eq!(recalled["status"], "started");
    assert_eq!(recalled["items"][0]["done"], false);
    assert_eq!(app.order_status(&waiter, &id).await, "preparing");
    assert_eq!(
        app.ticket_action(&kitchen, &fryer, "recall").await.code(),
        "not_bumped"
    );
    app.ticket_action(&kitchen, &fryer, "bump")
        .await
        .expect(200);
    assert_eq!(app.order_status(&waiter, &id).await, "ready");
    let history = app.scalar(&format!("select count(*) from order_status_history where order_id = '{id}' and to_status = 'ready'"),
    )
    .await;
    assert_eq!(history, 2, "each ready is in the status history");

    // Past the window: with a zero-second window, a recall a moment later needs a manager.
    let bad = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/branches/{riyadh}/kitchen/settings"),
            Some(&manager),
            Some(json!({ "recallSeconds": 5000 })),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        app.call(
            reqwest::Method::PUT,
            &format!("/api/branches/{riyadh}/kitchen/settings"),
            Some(&kitchen),
            Some(json!({ "recallSeconds": 0 })),
        )
        .await
        .status,
        403,
        "the kitchen does not set the window"
    );
    app.call(
        reqwest::Method::PUT,
        &format!("/api/branches/{riyadh}/kitchen/settings"),
        Some(&manager),
        Some(json!({ "recallSeconds": 0 })),
    )
    .await
    .expect(200);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let late = app.ticket_action(&kitchen, &fryer, "recall").await;
    assert_eq!(late.status, 403);
    assert_eq!(late.code(), "manager_pin_required");
    assert_eq!(app.order_status(&waiter, &id).await, "ready");
}

#[tokio::test]
async fn courses_are_held_until_the_waiter_fires_them() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (waiter, kitchen) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
    );
    let m = menu(&app, riyadh).await;
    let with = |name: &str, seat: i32, course: i32| {
        let mut l = line(&m, name, 1);
        l["seat"] = json!(seat);
        l["course"] = json!(course);
        l
    };
    let id = app
        .order()
        .kind("dine_in")
        .table("T3")
        .with_line(with("Fattoush", 1, 1))
        .with_line(with("Shish Tawook", 2, 1))
        .with_line(with("Classic Beef Burger", 1, 2))
        .with_line(with("Kunafa with Cheese", 1, 3))
        .placed_id(&waiter)
        .await;
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    let tickets = app.tickets_of(&kitchen, &id).await;
    assert_eq!(at(&tickets, "cold")["status"], "new");
    let grill = at(&tickets, "grill").clone();
    assert_eq!(grill["status"], "new", "its first-course item is fired");
    let held: Vec<(Value, Value)> = grill["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].clone(), i["held"].clone()))
        .collect();
    assert_eq!(
        held,
        [
            (json!("Shish Tawook"), json!(false)),
            (json!("Classic Beef Burger"), json!(true))
        ]
    );
    let bakery = at(&tickets, "bakery").clone();
    assert_eq!(
        (bakery["status"].clone(), bakery["timing"].clone()),
        (json!("held"), json!("held"))
    );
    assert_eq!(
        app.ticket_action(&kitchen, &bakery, "bump").await.code(),
        "held"
    );

    // The grill bumps its first course; the ticket waits for the next fire.
    let waiting = app
        .ticket_action(&kitchen, &grill, "bump")
        .await
        .expect(200);
    assert_eq!(waiting["status"], "held");
    app.ticket_action(&kitchen, at(&tickets, "cold"), "bump")
        .await
        .expect(200);
    assert_eq!(app.order_status(&waiter, &id).await, "preparing");

    let fired = app
        .post(&format!("/api/orders/{id}/fire"), Some(&waiter), json!({}))
        .await
        .expect(200);
    assert_eq!(fired["course"], 2);
    assert_eq!(fired["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(fired["tickets"][0]["station"], "grill");
    assert_eq!(fired["tickets"][0]["status"], "new");
    app.ticket_action(&kitchen, &grill, "bump")
        .await
        .expect(200);
    assert_eq!(
        app.order_status(&waiter, &id).await,
        "preparing",
        "dessert is still held"
    );

    app.post(&format!("/api/orders/{id}/fire"), Some(&waiter), json!({}))
        .await
        .expect(200);
    app.ticket_action(&kitchen, &bakery, "bump")
        .await
        .expect(200);
    assert_eq!(app.order_status(&waiter, &id).await, "ready");
    let none = app
        .post(&format!("/api/orders/{id}/fire"), Some(&waiter), json!({}))
        .await;
    assert_eq!(none.status, 409);
}

#[tokio::test]
async fn a_kitchen_device_of_one_branch_sees_nothing_of_another() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;
    let id = app
        .order()
        .branch(dubai)
        .line("Classic Beef Burger", 1)
        .placed_id(&owner)
        .await;
    app.set_status(&owner, &id, "accepted", None)
        .await
        .expect(200);
    let ticket = app.tickets_of(&owner, &id).await[0].clone();
    let tid = ticket["id"].as_str().unwrap();

    // The Riyadh kitchen screen, signed in with the kitchen PIN on a registered device.
    let kds = app.kitchen_screen(riyadh, "5555").await.token;
    app.get(&format!("/api/branches/{riyadh}/kitchen/tickets"), &kds)
        .await
        .expect(200);
    for path in [
        format!("/api/branches/{dubai}/kitchen/tickets"),
        format!("/api/branches/{dubai}/kitchen/all-day"),
        format!("/api/branches/{dubai}/kitchen/bumped"),
        format!("/api/kitchen/tickets/{tid}"),
        format!("/api/kitchen/tickets/{tid}/print"),
        format!("/api/orders/{id}/kitchen-tickets"),
    ] {
        assert_eq!(app.get(&path, &kds).await.status, 403, "{path}");
    }
    for what in ["start", "bump", "recall"] {
        assert_eq!(
            app.ticket_action(&kds, &ticket, what).await.status,
            403,
            "{what}"
        );
    }
    let cashier = app.cashier().await;
    assert_eq!(
        app.get(&format!("/api/branches/{riyadh}/kitchen/tickets"), &cashier)
            .await
            .status,
        403,
        "the KDS is for the kitchen and managers"
    );

    // Another brand sees neither the branch nor the ticket.
    let (other, _, _) = app.other_tenant("elsewhere").await;
    assert_eq!(
        app.get(&format!("/api/branches/{dubai}/kitchen/tickets"), &other)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/kitchen/tickets/{tid}"), &other)
            .await
            .status,
        404
    );
    assert_eq!(app.ticket_action(&other, &ticket, "bump").await.status, 404);
    assert_eq!(
        app.get(&format!("/api/kitchen/tickets/{}", Uuid::now_v7()), &owner)
            .await
            .status,
        404
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from kitchen_tickets where id = '{tid}' and status = 'new'"
        ))
        .await,
        1,
        "nothing was changed"
    );
}

#[tokio::test]
async fn accepting_an_order_announces_its_tickets_on_the_kitchen_stream() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (waiter, kitchen) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
    );
    let mut client = SseClient::open(
        &app,
        &format!("/api/sse/kitchen?branchId={riyadh}"),
        Some(&kitchen),
        None,
    )
    .await
    .ok()
    .unwrap();
    let id = app.order().line("Latte", 2).placed_id(&waiter).await;
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    let (_, event) = client
        .next(Duration::from_secs(5))
        .await
        .expect("a kitchen event");
    assert_eq!(event["type"], "ticket.created");
    let p = &event["payload"];
    assert_eq!(p["orderId"], id);
    assert_eq!(p["station"], "bar");
    assert_eq!(p["priority"], "normal");
    assert_eq!(p["items"][0]["name"], "Latte");
    assert_eq!(p["items"][0]["quantity"], 2);
    let ticket = app.tickets_of(&kitchen, &id).await[0].clone();
    app.ticket_action(&kitchen, &ticket, "bump")
        .await
        .expect(200);
    let (_, bumped) = client.next(Duration::from_secs(5)).await.expect("the bump");
    assert_eq!(bumped["type"], "ticket.bumped");
    assert_eq!(bumped["payload"]["ticketId"], ticket["id"]);
}

#[tokio::test]
async fn the_printed_ticket_is_bilingual_and_escaped() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (waiter, kitchen) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
    );
    let m = menu(&app, riyadh).await;
    let mut l = line(&m, "Classic Beef Burger", 1);
    l["notes"] = json!("<script>alert(1)</script> no onions");
    l["seat"] = json!(2);
    let id = app
        .order()
        .kind("dine_in")
        .table("T9")
        .with_line(l)
        .placed_id(&waiter)
        .await;
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    let ticket = app.tickets_of(&kitchen, &id).await[0].clone();
    let res = app
        .client
        .get(format!(
            "{}/api/kitchen/tickets/{}/print",
            app.base,
            ticket["id"].as_str().unwrap()
        ))
        .bearer_auth(&kitchen)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("Classic Beef Burger"), "{html}");
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("محلي"), "the order type in Arabic");
    assert!(html.contains("Table T9") && html.contains("seat 2"));
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>alert"));
}

fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_guest_sees_when_their_order_should_be_ready() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (waiter, kitchen) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
    );
    app.qr_orders_wait_for_staff(riyadh).await;
    let guest = app.guest_token(riyadh).await;
    let order = app
        .order()
        .kind("dine_in")
        .table("T1")
        .line("Classic Beef Burger", 1)
        .line("French Fries", 1);
    let id = order.placed_id(&guest).await;
    let estimate = |token: String, id: String| {
        let app = &app;
        async move { app.get(&format!("/api/orders/{id}/estimate"), &token).await }
    };

    // Not in the kitchen yet and no order of the branch ever ready: nothing to go on.
    let e = estimate(guest.clone(), id.clone()).await.expect(200);
    assert_eq!(e["basis"], "unknown");
    assert!(e["readyBy"].is_null());

    // In the kitchen: the last ticket's fire time plus its prep-time target.
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    let tickets = app.tickets_of(&kitchen, &id).await;
    let due = tickets
        .iter()
        .map(|t| {
            time(&t["firedAt"]) + chrono::Duration::seconds(t["targetSeconds"].as_i64().unwrap())
        })
        .max()
        .unwrap();
    let e = estimate(guest.clone(), id.clone()).await.expect(200);
    assert_eq!(e["basis"], "kitchen");
    assert_eq!(time(&e["readyBy"]), due);
    assert!(e["minutes"].as_i64().unwrap() > 0);
    // The branch's staff may read it; another guest may not even learn the order exists.
    estimate(waiter.clone(), id.clone()).await.expect(200);
    let stranger = app.guest_token(riyadh).await;
    assert_eq!(estimate(stranger, id.clone()).await.status, 404);

    // Every ticket bumped: the order is ready, nothing to wait for.
    for t in &tickets {
        app.ticket_action(&kitchen, t, "bump").await.expect(200);
    }
    let e = estimate(guest.clone(), id.clone()).await.expect(200);
    assert_eq!(
        (e["basis"].as_str(), e["status"].as_str()),
        (Some("done"), Some("ready"))
    );

    // The next order, not yet accepted, goes by what the first one took to be ready.
    let took = app
        .scalar(&format!(
            "select extract(epoch from h.at - o.created_at)::bigint from order_status_history h \
             join orders o on o.id = h.order_id where o.id = '{id}' and h.to_status = 'ready'"
        ))
        .await;
    let next = order.placed_id(&guest).await;
    let placed = time(
        &app.get(&format!("/api/orders/{next}"), &guest)
            .await
            .expect(200)["createdAt"],
    );
    let e = estimate(guest.clone(), next).await.expect(200);
    assert_eq!(e["basis"], "recent");
    assert_eq!(
        time(&e["readyBy"]),
        placed + chrono::Duration::seconds(took)
    );
}
