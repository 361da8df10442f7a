//! Dining tables and server-side carts: tables managed per branch with QR tokens; guests who
//! scan a table's code share one cart and see each other's lines live; lines are checked by the
//! menu when added and again at checkout, which places orders through the one checkout path.

use std::time::Duration;

use platform::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Res, SseClient, TestApp, find_item, key, line, menu, menu_until, spawn_app};

async fn table(app: &TestApp, branch: Uuid, label: &str) -> (String, String) {
    let waiter = app.owner().await;
    let tables = app
        .get(&format!("/api/branches/{branch}/dining-tables"), &waiter)
        .await
        .expect(200);
    let t = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == label)
        .unwrap_or_else(|| panic!("no table {label}"));
    (
        t["id"].as_str().unwrap().into(),
        t["qrToken"].as_str().unwrap().into(),
    )
}

/// Joins the table as a new guest (no token); returns (guest token, answer).
async fn join_new(app: &TestApp, token: &str, name: &str) -> (String, Value) {
    let joined = app
        .post(
            &format!("/api/tables/{token}/join"),
            None,
            if name.is_empty() {
                json!({})
            } else {
                json!({ "name": name })
            },
        )
        .await
        .expect(200);
    let access = joined["session"]["accessToken"]
        .as_str()
        .expect("a new guest session")
        .to_string();
    (access, joined)
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<Value>,
) -> Res {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Res {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

async fn checkout(app: &TestApp, token: &str, cart: &str, key: &str, body: Value) -> Res {
    send(
        app,
        Method::POST,
        &format!("/api/carts/{cart}/checkout"),
        token,
        &[("idempotency-key", key.to_string())],
        Some(body),
    )
    .await
}

fn line_id(cart: &Value, i: usize) -> String {
    cart["lines"][i]["id"].as_str().unwrap().to_string()
}

/// Waits until the branch's menu (as guests get it) satisfies `ok`.
#[tokio::test]
async fn owners_and_managers_manage_tables_and_their_qr_codes() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;
    let manager = app.manager().await;
    let cashier = app.cashier().await;
    let waiter = app.token(Role::Waiter).await;

    // The demo has tables with floor areas in both branches.
    for b in [riyadh, dubai] {
        let tables = app
            .get(&format!("/api/branches/{b}/dining-tables"), &owner)
            .await
            .expect(200);
        let tables = tables.as_array().unwrap();
        assert!(tables.len() >= 5);
        assert!(
            tables
                .iter()
                .all(|t| t["floorArea"].is_string() && t["qrToken"].as_str().unwrap().len() == 32)
        );
    }
    let path = format!("/api/branches/{riyadh}/dining-tables");
    let body = json!({ "label": "T9", "floorArea": "Patio", "seats": 4 });
    let created = app
        .post(&path, Some(&manager), body.clone())
        .await
        .expect(201);
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().unwrap().to_string();
    let token = created["qrToken"].as_str().unwrap().to_string();
    // Cashiers and waiters do not manage tables; a Riyadh manager not Dubai's; labels are unique.
    assert_eq!(
        app.post(&path, Some(&cashier), body.clone()).await.status,
        403
    );
    let dubai_path = format!("/api/branches/{dubai}/dining-tables");
    assert_eq!(
        app.post(&dubai_path, Some(&manager), body.clone())
            .await
            .status,
        403
    );
    let dup = app
        .post(&path, Some(&owner), json!({ "label": "t9", "seats": 2 }))
        .await;
    assert_eq!((dup.status.as_u16(), dup.code()), (409, "label_taken"));
    let bad = app
        .post(&path, Some(&owner), json!({ "label": "", "seats": 0 }))
        .await
        .expect(422);
    assert!(bad["errors"]["label"].is_array() && bad["errors"]["seats"].is_array());
    // Waiters see the floor plan.
    let listed = app.get(&path, &waiter).await.expect(200);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    );

    // The QR code opens the table's branch and menu, without signing in.
    let view = app
        .call(Method::GET, &format!("/api/tables/{token}"), None, None)
        .await
        .expect(200);
    assert_eq!(view["table"]["label"], "T9");
    assert_eq!(view["branchId"], riyadh.to_string());
    assert_eq!(view["menuUrl"], format!("/api/branches/{riyadh}/menu"));
    let unknown = "A".repeat(32);
    app.call(Method::GET, &format!("/api/tables/{unknown}"), None, None)
        .await
        .expect(404);

    // Out of service: the code stops answering until it is active again.
    let put =
        |active: bool| json!({ "label": "T9", "floorArea": "Patio", "seats": 6, "active": active });
    let off = app
        .call(
            Method::PUT,
            &format!("/api/dining-tables/{id}"),
            Some(&manager),
            Some(put(false)),
        )
        .await
        .expect(200);
    assert_eq!(
        (off["active"].clone(), off["seats"].clone()),
        (json!(false), json!(6))
    );
    app.call(Method::GET, &format!("/api/tables/{token}"), None, None)
        .await
        .expect(404);
    app.call(
        Method::PUT,
        &format!("/api/dining-tables/{id}"),
        Some(&manager),
        Some(put(true)),
    )
    .await
    .expect(200);

    // A new token retires the old code.
    let renewed = app
        .post(
            &format!("/api/dining-tables/{id}/token"),
            Some(&owner),
            json!({}),
        )
        .await
        .expect(200);
    let new_token = renewed["qrToken"].as_str().unwrap();
    assert_ne!(new_token, token);
    app.call(Method::GET, &format!("/api/tables/{token}"), None, None)
        .await
        .expect(404);
    app.call(Method::GET, &format!("/api/tables/{new_token}"), None, None)
        .await
        .expect(200);

    // Archived: gone from the list and the code.
    app.call(
        Method::DELETE,
        &format!("/api/dining-tables/{id}"),
        Some(&cashier),
        None,
    )
    .await
    .expect(403);
    app.call(
        Method::DELETE,
        &format!("/api/dining-tables/{id}"),
        Some(&owner),
        None,
    )
    .await
    .expect(204);
    app.call(Method::GET, &format!("/api/tables/{new_token}"), None, None)
        .await
        .expect(404);
    let listed = app.get(&path, &owner).await.expect(200);
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    );
    assert_eq!(
        app.scalar("select count(*) from audit_log where entity = 'dining_table'")
            .await,
        5,
        "created, taken out of service, back, new token, archived"
    );

    // Another brand neither sees nor changes these tables.
    let (other, _, _) = app.other_tenant("other-tables").await;
    let (t1, _) = table(&app, riyadh, "T1").await;
    app.call(
        Method::PUT,
        &format!("/api/dining-tables/{t1}"),
        Some(&other),
        Some(put(true)),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn guests_at_a_table_share_one_cart_and_change_only_their_own_lines() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let (_, token) = table(&app, riyadh, "T2").await;

    let (sara, joined) = join_new(&app, &token, "Sara").await;
    assert_eq!(joined["you"]["name"], "Sara");
    assert_eq!(joined["table"]["label"], "T2");
    assert_eq!(joined["cart"]["channel"], "qr");
    assert_eq!(joined["cart"]["type"], "dine_in");
    let cart = joined["cart"]["id"].as_str().unwrap().to_string();
    let (omar, joined_b) = join_new(&app, &token, "").await;
    assert_eq!(
        joined_b["cart"]["id"],
        cart.as_str(),
        "one open cart per table"
    );
    assert_eq!(joined_b["you"]["name"], "Guest 2");
    // Joining again with the session is the same membership.
    let again = app
        .post(&format!("/api/tables/{token}/join"), Some(&sara), json!({}))
        .await
        .expect(200);
    assert!(again["session"].is_null());
    assert_eq!(again["cart"]["members"].as_array().unwrap().len(), 2);

    // Sara adds a burger with notes, seat and course; Omar a tea.
    let lines = format!("/api/carts/{cart}/lines");
    let mut burger = line(&m, "Classic Beef Burger", 2);
    burger["notes"] = json!("no onions");
    burger["seat"] = json!(1);
    burger["course"] = json!(2);
    let after = app
        .post(&lines, Some(&sara), burger.clone())
        .await
        .expect(201);
    let version = after["version"].as_i64().unwrap();
    let after = app
        .post(&lines, Some(&omar), line(&m, "Karak Tea", 1))
        .await
        .expect(201);
    let seen = app
        .get(&format!("/api/carts/{cart}"), &omar)
        .await
        .expect(200);
    assert_eq!(seen["lines"].as_array().unwrap().len(), 2);
    assert_eq!(seen["lines"][0]["addedBy"]["name"], "Sara");
    assert_eq!(seen["lines"][0]["notes"], "no onions");
    assert_eq!(
        (
            seen["lines"][0]["seat"].clone(),
            seen["lines"][0]["course"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(seen["lines"][1]["addedBy"]["name"], "Guest 2");
    let price = find_item(&m, "Classic Beef Burger").unwrap()["price"]
        .as_i64()
        .unwrap();
    assert_eq!(seen["lines"][0]["unitPrice"], price);
    assert_eq!(seen["lines"][0]["currentUnitPrice"], price);
    assert!(seen["lines"][0]["problem"].is_null());
    let tea = find_item(&m, "Karak Tea").unwrap()["price"]
        .as_i64()
        .unwrap();
    assert_eq!(seen["totals"]["itemsGross"], price * 2 + tea);
    assert_eq!(seen, after);

    // A stale version is refused; a bad selection is a 422 naming the field.
    let stale = send(
        &app,
        Method::POST,
        &lines,
        &omar,
        &[("if-match", version.to_string())],
        Some(line(&m, "Karak Tea", 1)),
    )
    .await;
    assert_eq!((stale.status.as_u16(), stale.code()), (409, "cart_changed"));
    let mut bad = burger.clone();
    bad["options"] = json!([Uuid::now_v7()]);
    let res = app.post(&lines, Some(&sara), bad).await.expect(422);
    assert!(res["errors"]["options"].is_array(), "{res}");
    let res = app
        .post(
            &lines,
            Some(&sara),
            json!({ "productId": Uuid::now_v7(), "quantity": 1 }),
        )
        .await
        .expect(422);
    assert!(res["errors"]["productId"].is_array(), "{res}");
    let res = app
        .post(
            &lines,
            Some(&sara),
            json!({ "productId": Uuid::now_v7(), "quantity": 0 }),
        )
        .await
        .expect(422);
    assert!(res["errors"]["quantity"].is_array(), "{res}");

    // Omar cannot change or remove Sara's line; she can; the waiter can change anyone's.
    let sara_line = format!("{lines}/{}", line_id(&seen, 0));
    let omar_line = format!("{lines}/{}", line_id(&seen, 1));
    assert_eq!(
        app.call(
            Method::PUT,
            &sara_line,
            Some(&omar),
            Some(line(&m, "Classic Beef Burger", 1))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        app.call(Method::DELETE, &sara_line, Some(&omar), None)
            .await
            .status,
        403
    );
    let changed = app
        .call(
            Method::PUT,
            &sara_line,
            Some(&sara),
            Some(line(&m, "Classic Beef Burger", 3)),
        )
        .await
        .expect(200);
    assert_eq!(changed["lines"][0]["quantity"], 3);
    assert_eq!(changed["lines"][0]["addedBy"]["name"], "Sara");
    let waiter = app.token(Role::Waiter).await;
    let changed = app
        .call(
            Method::PUT,
            &omar_line,
            Some(&waiter),
            Some(line(&m, "Karak Tea", 2)),
        )
        .await
        .expect(200);
    assert_eq!(changed["lines"][1]["quantity"], 2);
    app.call(Method::DELETE, &omar_line, Some(&omar), None)
        .await
        .expect(200);

    // A guest of another table, a customer who is not a member, another brand: not found.
    let (_, other_token) = table(&app, riyadh, "T3").await;
    let (stranger, _) = join_new(&app, &other_token, "Lina").await;
    app.get(&format!("/api/carts/{cart}"), &stranger)
        .await
        .expect(404);
    app.post(&lines, Some(&stranger), line(&m, "Karak Tea", 1))
        .await
        .expect(404);
    let customer = app.token(Role::Customer).await;
    app.get(&format!("/api/carts/{cart}"), &customer)
        .await
        .expect(404);
    let (other, _, _) = app.other_tenant("other-carts").await;
    app.get(&format!("/api/carts/{cart}"), &other)
        .await
        .expect(404);
    // Front-of-house staff of the branch see it; the kitchen, which takes no orders, does not.
    app.get(&format!("/api/carts/{cart}"), &waiter)
        .await
        .expect(200);
    let kitchen = app.token(Role::Kitchen).await;
    app.get(&format!("/api/carts/{cart}"), &kitchen)
        .await
        .expect(404);
    app.call(Method::DELETE, &sara_line, Some(&kitchen), None)
        .await
        .expect(404);

    // A POS cart and a customer's website cart.
    let pos = app
        .post(
            "/api/carts",
            Some(&waiter),
            json!({ "branchId": riyadh, "type": "takeaway" }),
        )
        .await
        .expect(201);
    assert_eq!(pos["channel"], "pos");
    assert_eq!(pos["members"][0]["name"], "Demo Waiter");
    let web = app
        .post(
            "/api/carts",
            Some(&customer),
            json!({ "branchId": riyadh, "type": "pickup" }),
        )
        .await
        .expect(201);
    assert_eq!(web["channel"], "web");
    // Staff opening the table's cart join the open one.
    let (t2, _) = table(&app, riyadh, "T2").await;
    let joined = app
        .post(
            "/api/carts",
            Some(&waiter),
            json!({ "branchId": riyadh, "type": "dine_in", "tableId": t2 }),
        )
        .await
        .expect(200);
    assert_eq!(joined["id"], cart.as_str());
    let res = app
        .post(
            "/api/carts",
            Some(&customer),
            json!({ "branchId": riyadh, "type": "dine_in", "tableId": t2 }),
        )
        .await
        .expect(422);
    assert!(res["errors"]["tableId"].is_array());
}

#[tokio::test]
async fn concurrent_first_scans_of_a_table_open_one_cart() {
    let app = spawn_app().await;
    let (_, token) = table(&app, app.demo.riyadh, "F1").await;
    let joins = (0..4).map(|i| {
        let app = &app;
        let token = token.clone();
        async move { join_new(app, &token, &format!("G{i}")).await.1 }
    });
    let answers = futures::future::join_all(joins).await;
    let first = &answers[0]["cart"]["id"];
    assert!(answers.iter().all(|a| &a["cart"]["id"] == first));
    assert_eq!(app.scalar("select count(*) from carts").await, 1);
    assert_eq!(app.scalar("select count(*) from cart_members").await, 4);
}

#[tokio::test]
async fn checkout_checks_every_line_against_the_menu_now() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let manager = app.manager().await;
    let owner = app.owner().await;
    let m = menu(&app, riyadh).await;
    let (_, token) = table(&app, riyadh, "T4").await;
    let (guest, joined) = join_new(&app, &token, "Sara").await;
    let cart = joined["cart"]["id"].as_str().unwrap().to_string();
    let lines = format!("/api/carts/{cart}/lines");
    let burger = find_item(&m, "Classic Beef Burger").unwrap().clone();
    let group_of = |m: &Value, name: &str| {
        m["modifierGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()
            .clone()
    };
    let extras = group_of(&m, "Burger extras");
    let cheese_and_jalapenos: Vec<Value> = extras["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            o["name"] == "Extra cheese" || o["name"].as_str().unwrap().starts_with("Jalape")
        })
        .map(|o| o["id"].clone())
        .collect();
    let mut with_extras = line(&m, "Classic Beef Burger", 1);
    with_extras["options"]
        .as_array_mut()
        .unwrap()
        .extend(cheese_and_jalapenos);
    let cart_v = app
        .post(&lines, Some(&guest), with_extras.clone())
        .await
        .expect(201);
    let burger_line = line_id(&cart_v, 0);
    let cart_v = app
        .post(&lines, Some(&guest), line(&m, "Karak Tea", 1))
        .await
        .expect(201);
    let tea_line = line_id(&cart_v, 1);
    let orders = "select count(*) from orders";

    // A changed price: 409 naming the line and the new price; nothing written.
    let item = burger["id"].as_str().unwrap();
    let new_price = burger["price"].as_i64().unwrap() + 100;
    app.call(
        Method::PUT,
        &format!("/api/branches/{riyadh}/catalog/items/{item}"),
        Some(&manager),
        Some(json!({ "price": new_price })),
    )
    .await
    .expect(200);
    menu_until(&app, riyadh, |m| {
        find_item(m, "Classic Beef Burger").unwrap()["price"] == new_price
    })
    .await;
    let res = checkout(&app, &guest, &cart, &key(), json!({})).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "price_changed"),
        "{}",
        res.body
    );
    let detail = res.body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&burger_line) && detail.contains(&format!("to {}", new_price + 500)),
        "{detail}"
    );
    assert_eq!(app.scalar(orders).await, 0);
    let seen = app
        .get(&format!("/api/carts/{cart}"), &guest)
        .await
        .expect(200);
    assert_eq!(seen["lines"][0]["currentUnitPrice"], new_price + 500);
    assert!(
        seen["lines"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("price changed")
    );
    assert_eq!(seen["status"], "open");

    // The guest accepts it by updating the line. Then the item is 86'd: 409 naming the line.
    app.call(
        Method::PUT,
        &format!("{lines}/{burger_line}"),
        Some(&guest),
        Some(with_extras.clone()),
    )
    .await
    .expect(200);
    let kitchen = app.token(Role::Kitchen).await;
    let sold_out = format!("/api/branches/{riyadh}/catalog/items/{item}/sold-out");
    app.post(&sold_out, Some(&kitchen), json!({}))
        .await
        .expect(200);
    menu_until(&app, riyadh, |m| {
        find_item(m, "Classic Beef Burger").unwrap()["soldOut"] == true
    })
    .await;
    let res = checkout(&app, &guest, &cart, &key(), json!({})).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (409, "line_unavailable"),
        "{}",
        res.body
    );
    assert!(res.body["detail"].as_str().unwrap().contains(&burger_line));
    assert!(!res.body["detail"].as_str().unwrap().contains(&tea_line));
    app.call(Method::DELETE, &sold_out, Some(&kitchen), None)
        .await
        .expect(204);
    menu_until(&app, riyadh, |m| {
        find_item(m, "Classic Beef Burger").unwrap()["soldOut"] == false
    })
    .await;

    // The extras group now allows one choice: the two chosen are no longer valid → 422.
    let input = json!({
        "name": extras["name"], "nameAr": extras["nameAr"], "minSelect": 0, "maxSelect": 1,
        "options": extras["options"].as_array().unwrap().iter().map(|o| json!({
            "id": o["id"], "name": o["name"], "nameAr": o["nameAr"], "priceDelta": o["priceDelta"],
            "default": o["default"], "itemId": o["itemId"] })).collect::<Vec<_>>()
    });
    app.call(
        Method::PUT,
        &format!(
            "/api/catalog/modifier-groups/{}",
            extras["id"].as_str().unwrap()
        ),
        Some(&owner),
        Some(input),
    )
    .await
    .expect(204);
    menu_until(&app, riyadh, |m| {
        group_of(m, "Burger extras")["maxSelect"] == 1
    })
    .await;
    let res = checkout(&app, &guest, &cart, &key(), json!({})).await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.body);
    assert!(
        res.body["errors"][format!("lines[{burger_line}]")].is_array(),
        "{}",
        res.body
    );
    assert_eq!(app.scalar(orders).await, 0);
    assert_eq!(app.scalar("select count(*) from journal_entries").await, 0);

    // The tea alone can be ordered; Idempotency-Key is required and replays the same order.
    let res = send(
        &app,
        Method::POST,
        &format!("/api/carts/{cart}/checkout"),
        &guest,
        &[],
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (400, "idempotency_key_required")
    );
    let k = key();
    let body = json!({ "lines": [tea_line], "tip": 100 });
    let order = checkout(&app, &guest, &cart, &k, body.clone())
        .await
        .expect(201);
    assert_eq!(order["channel"], "qr");
    assert_eq!(order["type"], "dine_in");
    assert_eq!(order["table"], "T4");
    assert_eq!(order["lines"].as_array().unwrap().len(), 1);
    assert_eq!(order["tip"], 100);
    let replay = checkout(&app, &guest, &cart, &k, body).await;
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.expect(201)["id"], order["id"]);
    let other = checkout(&app, &guest, &cart, &k, json!({ "lines": [tea_line] }))
        .await
        .expect(422);
    assert!(other["errors"]["Idempotency-Key"].is_array());
    let seen = app
        .get(&format!("/api/carts/{cart}"), &guest)
        .await
        .expect(200);
    assert_eq!(seen["status"], "open", "the burger is still to order");
    assert_eq!(seen["lines"][1]["orderId"], order["id"]);
    // The guest follows the order like any they placed.
    app.get(
        &format!("/api/orders/{}", order["id"].as_str().unwrap()),
        &guest,
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn each_guest_pays_their_own_lines_and_the_cart_closes_when_all_are_ordered() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let (_, token) = table(&app, riyadh, "P1").await;
    let (sara, joined) = join_new(&app, &token, "Sara").await;
    let (omar, _) = join_new(&app, &token, "Omar").await;
    let cart = joined["cart"]["id"].as_str().unwrap().to_string();
    let lines = format!("/api/carts/{cart}/lines");
    app.post(&lines, Some(&sara), line(&m, "Classic Beef Burger", 1))
        .await
        .expect(201);
    app.post(&lines, Some(&omar), line(&m, "Karak Tea", 2))
        .await
        .expect(201);
    app.post(&lines, Some(&sara), line(&m, "Karak Tea", 1))
        .await
        .expect(201);

    let mine = checkout(&app, &sara, &cart, &key(), json!({ "mine": true }))
        .await
        .expect(201);
    let names: Vec<&str> = mine["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Classic Beef Burger", "Karak Tea"]);
    let seen = app
        .get(&format!("/api/carts/{cart}"), &omar)
        .await
        .expect(200);
    assert_eq!(seen["status"], "open");
    assert_eq!(
        seen["totals"]["itemsGross"],
        find_item(&m, "Karak Tea").unwrap()["price"]
            .as_i64()
            .unwrap()
            * 2
    );
    // Sara's lines are ordered: nobody changes them any more.
    let ordered = format!("{lines}/{}", line_id(&seen, 0));
    let res = app.call(Method::DELETE, &ordered, Some(&sara), None).await;
    assert_eq!((res.status.as_u16(), res.code()), (409, "line_ordered"));
    let res = checkout(&app, &sara, &cart, &key(), json!({ "mine": true })).await;
    assert_eq!((res.status.as_u16(), res.code()), (409, "nothing_to_order"));

    let theirs = checkout(&app, &omar, &cart, &key(), json!({ "mine": true }))
        .await
        .expect(201);
    assert_eq!(theirs["lines"][0]["quantity"], 2);
    assert_ne!(theirs["number"], mine["number"]);
    let seen = app
        .get(&format!("/api/carts/{cart}"), &omar)
        .await
        .expect(200);
    assert_eq!(seen["status"], "checked_out");
    assert!(seen["totals"].is_null());
    let res = app
        .post(&lines, Some(&omar), line(&m, "Karak Tea", 1))
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (409, "cart_closed"));
    // The next scan opens a new cart for the table.
    let next = app
        .post(&format!("/api/tables/{token}/join"), Some(&omar), json!({}))
        .await
        .expect(200);
    assert_ne!(next["cart"]["id"], cart.as_str());
    // The books balance with both orders in them.
    let mut tx = app
        .state
        .db
        .begin(platform::db::TenantScope::tenant(app.demo.tenant_id))
        .await
        .unwrap();
    let r = payments::reconcile::reconcile(&mut tx, "SAR")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(r["books"]["trialBalance"], 0);
    assert_eq!(r["books"]["receivable"], r["orders"]["receivable"]);
    assert_eq!(
        r["orders"]["receivable"],
        mine["total"].as_i64().unwrap() + theirs["total"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn two_guests_checking_out_the_same_lines_at_once_make_one_order() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let (_, token) = table(&app, riyadh, "P2").await;
    let (sara, joined) = join_new(&app, &token, "Sara").await;
    let (omar, _) = join_new(&app, &token, "Omar").await;
    let cart = joined["cart"]["id"].as_str().unwrap().to_string();
    let lines = format!("/api/carts/{cart}/lines");
    app.post(&lines, Some(&sara), line(&m, "Classic Beef Burger", 1))
        .await
        .expect(201);
    let seen = app
        .post(&lines, Some(&omar), line(&m, "Karak Tea", 1))
        .await
        .expect(201);
    let both = json!({ "lines": [line_id(&seen, 0), line_id(&seen, 1)] });
    for round in 0..3 {
        let (ka, kb) = (key(), key());
        let (a, b) = tokio::join!(
            checkout(&app, &sara, &cart, &ka, both.clone()),
            checkout(&app, &omar, &cart, &kb, both.clone())
        );
        let codes = [a.status.as_u16(), b.status.as_u16()];
        if round == 0 {
            assert!(codes.contains(&201), "{codes:?} {} {}", a.body, b.body);
        }
        let refused = if a.status == 201 { &b } else { &a };
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(
            ["line_ordered", "cart_closed"].contains(&refused.code()),
            "{}",
            refused.body
        );
        if round > 0 {
            assert_eq!(codes, [409, 409]);
        }
    }
    assert_eq!(app.scalar("select count(*) from orders").await, 1);
    assert_eq!(app.scalar("select count(*) from order_lines").await, 2);
    assert_eq!(
        app.scalar("select count(distinct order_id) from cart_lines")
            .await,
        1
    );
}

/// The next event committed after event `before`.
async fn next_new(client: &mut SseClient, before: i64, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (id, e) = client.next(left).await?;
        if id > before {
            return Some(e);
        }
    }
}

#[tokio::test]
async fn cart_changes_reach_its_members_and_the_branch_staff_live() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let (_, token) = table(&app, riyadh, "T1").await;
    let (sara, joined) = join_new(&app, &token, "Sara").await;
    let cart = joined["cart"]["id"].as_str().unwrap().to_string();
    let (omar, _) = join_new(&app, &token, "Omar").await;
    let (_, other_token) = table(&app, riyadh, "T3").await;
    let (lina, other) = join_new(&app, &other_token, "Lina").await;
    let waiter = app.token(Role::Waiter).await;
    let wait = Duration::from_secs(5);
    // The joins above may reach the streams a moment after they open (the listener catches up
    // within its poll interval): only what happens from here on counts.
    let before = app.scalar("select coalesce(max(id), 0) from events").await;

    let mut at_table = SseClient::open(
        &app,
        &format!("/api/sse/orders?cartId={cart}"),
        Some(&sara),
        None,
    )
    .await
    .ok()
    .unwrap();
    let mut staff = SseClient::open(
        &app,
        &format!("/api/sse/orders?branchId={riyadh}"),
        Some(&waiter),
        None,
    )
    .await
    .ok()
    .unwrap();
    // Not a member: 404, not a stream of someone else's cart.
    let res = SseClient::open(
        &app,
        &format!("/api/sse/orders?cartId={cart}"),
        Some(&lina),
        None,
    )
    .await;
    assert_eq!(res.err().unwrap().status(), 404);
    let other_cart = other["cart"]["id"].as_str().unwrap();
    let mut elsewhere = SseClient::open(
        &app,
        &format!("/api/sse/orders?cartId={other_cart}"),
        Some(&lina),
        None,
    )
    .await
    .ok()
    .unwrap();

    let added = app
        .post(
            &format!("/api/carts/{cart}/lines"),
            Some(&omar),
            line(&m, "Karak Tea", 1),
        )
        .await
        .expect(201);
    let e = next_new(&mut at_table, before, wait)
        .await
        .expect("Sara sees Omar's line");
    assert_eq!(e["type"], "cart.line_added");
    assert_eq!(e["stream"], format!("cart:{cart}"));
    assert_eq!(e["payload"]["addedBy"]["name"], "Omar");
    assert_eq!(e["payload"]["name"], "Karak Tea");
    assert_eq!(e["payload"]["version"], added["version"]);
    let e = next_new(&mut staff, before, wait)
        .await
        .expect("the branch's staff see it");
    assert_eq!(e["type"], "cart.line_added");
    // Her own change and the checkout reach her too.
    let line = line_id(&added, 0);
    app.call(
        Method::DELETE,
        &format!("/api/carts/{cart}/lines/{line}"),
        Some(&sara),
        None,
    )
    .await
    .expect(403);
    app.post(
        &format!("/api/carts/{cart}/lines"),
        Some(&sara),
        crate::helpers::line(&m, "Karak Tea", 2),
    )
    .await
    .expect(201);
    let e = next_new(&mut at_table, before, wait).await.unwrap();
    assert_eq!(
        (e["type"].clone(), e["payload"]["addedBy"]["name"].clone()),
        (json!("cart.line_added"), json!("Sara"))
    );
    let order = checkout(&app, &omar, &cart, &key(), json!({ "mine": true }))
        .await
        .expect(201);
    let e = next_new(&mut at_table, before, wait).await.unwrap();
    assert_eq!(e["type"], "cart.checked_out");
    assert_eq!(e["payload"]["orderId"], order["id"]);
    assert_eq!(e["payload"]["status"], "open");
    // Omar's order event is his, not Sara's: her stream carries only the cart's events.
    assert!(
        next_new(&mut at_table, before, Duration::from_millis(700))
            .await
            .is_none()
    );
    // Lina, at another table, saw none of it.
    assert!(
        next_new(&mut elsewhere, before, Duration::from_millis(300))
            .await
            .is_none()
    );
    let mut types = vec![];
    while let Some(e) = next_new(&mut staff, before, Duration::from_millis(700)).await {
        types.push(e["type"].as_str().unwrap().to_string());
    }
    assert!(
        types.contains(&"cart.checked_out".to_string())
            && types.contains(&"order.placed".to_string()),
        "{types:?}"
    );
}
