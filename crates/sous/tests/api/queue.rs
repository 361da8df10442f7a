//! The queue: positions and estimated waits that move with the branch's recorded times, the
//! `queue` stream to each waiting guest, pickup orders in line, and who may see what.

use platform::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{SseClient, TestApp, key, line, menu, place, spawn_app};

async fn add_party(app: &TestApp, host: &str, name: &str, size: i32) -> (Value, String) {
    let joined = app
        .post(
            &format!("/api/branches/{}/queue", app.demo.riyadh),
            Some(host),
            json!({ "name": name, "partySize": size, "phone": "+966 50 123 4567" }),
        )
        .await
        .expect(201);
    let token = joined["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    (joined["entry"].clone(), token)
}

/// Pretends the entry joined `minutes` ago (the test cannot wait for real minutes).
async fn joined_ago(app: &TestApp, entry: &Value, minutes: i64) {
    sqlx::query("update queue_entries set joined_at = now() - make_interval(mins => $2) where id = $1::uuid")
        .bind(entry["id"].as_str().unwrap())
        .bind(minutes as i32)
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
}

async fn waiting(app: &TestApp, host: &str) -> Vec<(String, i64, i64)> {
    app.get(&format!("/api/branches/{}/queue", app.demo.riyadh), host)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["position"].as_i64().unwrap(),
                e["estimatedWaitMinutes"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn act(app: &TestApp, host: &str, entry: &Value, what: &str) -> crate::helpers::Res {
    app.post(
        &format!("/api/queue/{}/{what}", entry["id"].as_str().unwrap()),
        Some(host),
        json!({}),
    )
    .await
}

#[tokio::test]
async fn estimates_move_with_recorded_times_and_positions_update() {
    let app = spawn_app().await;
    let host = app.token(Role::Waiter).await;
    let (a, _) = add_party(&app, &host, "Aziz", 2).await;
    let (b, b_token) = add_party(&app, &host, "Badr", 2).await;
    let (c, c_token) = add_party(&app, &host, "Calla", 6).await;
    assert_eq!(
        (a["position"].as_i64(), c["position"].as_i64()),
        (Some(1), Some(3))
    );
    // No history yet: five minutes a place.
    assert_eq!(
        waiting(&app, &host).await,
        vec![
            ("Aziz".into(), 1, 5),
            ("Badr".into(), 2, 10),
            ("Calla".into(), 3, 15)
        ]
    );
    let mut badr = SseClient::open(&app, "/api/sse/queue", Some(&b_token), None)
        .await
        .unwrap_or_else(|r| panic!("guest stream: {}", r.status()));
    let mut calla = SseClient::open(&app, "/api/sse/queue", Some(&c_token), None)
        .await
        .unwrap_or_else(|r| panic!("guest stream: {}", r.status()));

    // Aziz waited 12 minutes at the head of the line: a place takes 12 minutes now.
    joined_ago(&app, &a, 12).await;
    assert_eq!(
        act(&app, &host, &a, "seat").await.expect(200)["status"],
        "seated"
    );
    assert_eq!(
        waiting(&app, &host).await,
        vec![("Badr".into(), 1, 12), ("Calla".into(), 2, 24)]
    );
    let moved = badr
        .next_where("queue.position", |p| p["position"] == 1)
        .await["payload"]
        .clone();
    assert_eq!(moved["entryId"], b["id"]);
    assert_eq!(moved["estimatedWaitMinutes"], 12);
    // Each guest hears only of their own entry.
    let theirs = calla
        .next_where("queue.position", |p| p["position"] == 2)
        .await["payload"]
        .clone();
    assert_eq!(theirs["entryId"], c["id"]);
    assert_eq!(theirs["estimatedWaitMinutes"], 24);

    // Badr waited 30 minutes from second place (15 a place): the median of 12 and 15 for
    // parties of two; a party of six has no history of its own and takes the line's.
    joined_ago(&app, &b, 30).await;
    act(&app, &host, &b, "seat").await.expect(200);
    assert_eq!(
        badr.next_of("queue.seated").await["payload"]["entryId"],
        b["id"]
    );
    let (d, _) = add_party(&app, &host, "Dana", 1).await;
    assert_eq!(
        waiting(&app, &host).await,
        vec![("Calla".into(), 1, 14), ("Dana".into(), 2, 27)]
    );
    assert_eq!(d["estimatedWaitMinutes"], 27);

    // The guest reads their own entry; not someone else's.
    let own = app
        .get(
            &format!("/api/queue/{}", c["id"].as_str().unwrap()),
            &c_token,
        )
        .await
        .expect(200);
    assert_eq!(own["position"], 1);
    assert_eq!(
        app.get(
            &format!("/api/queue/{}", d["id"].as_str().unwrap()),
            &c_token
        )
        .await
        .status,
        404
    );

    // A no-show leaves the line; ending it twice is refused.
    act(&app, &host, &c, "no-show").await.expect(200);
    assert_eq!(
        calla.next_of("queue.no_show").await["payload"]["entryId"],
        c["id"]
    );
    assert_eq!(waiting(&app, &host).await[0].0, "Dana");
    assert_eq!(act(&app, &host, &c, "remove").await.status, 409);
    // A no-show teaches nothing about waits: Dana's estimate is her class's median still.
    assert_eq!(waiting(&app, &host).await, vec![("Dana".into(), 1, 14)]);
    act(&app, &host, &d, "remove").await.expect(200);
    assert!(waiting(&app, &host).await.is_empty());
}

#[tokio::test]
async fn guests_join_themselves_and_pickup_orders_wait_in_their_own_line() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (host, kitchen) = (
        app.token(Role::Waiter).await,
        app.token(Role::Kitchen).await,
    );
    let guest = app.guest_token(riyadh).await;
    let path = format!("/api/branches/{riyadh}/queue");
    let joined = app
        .post(
            &path,
            Some(&guest),
            json!({ "name": "Sara", "partySize": 3 }),
        )
        .await
        .expect(201);
    assert!(
        joined["session"].is_null(),
        "a guest follows with their own session"
    );
    let again = app
        .post(
            &path,
            Some(&guest),
            json!({ "name": "Sara", "partySize": 3 }),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "already_waiting")
    );
    // Bad input and the wrong staff.
    let bad = app
        .post(
            &path,
            Some(&host),
            json!({ "name": "", "partySize": 0, "phone": "call me" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    for field in ["name", "partySize", "phone"] {
        assert!(
            bad.body["errors"][field].is_array(),
            "{field}: {}",
            bad.body
        );
    }
    assert_eq!(
        app.post(
            &path,
            Some(&kitchen),
            json!({ "name": "X", "partySize": 2 })
        )
        .await
        .status,
        403
    );
    assert_eq!(app.get(&path, &guest).await.status, 403);

    // A customer's pickup order of three items joins the pickup line.
    let customer = app.token(Role::Customer).await;
    let m = menu(&app, riyadh).await;
    let order = place(
        &app,
        &customer,
        &key(),
        &json!({
        "branchId": riyadh, "type": "pickup", "lines": [line(&m, "Classic Beef Burger", 3)] }),
    )
    .await
    .expect(201);
    let pickup_path = format!("/api/branches/{riyadh}/queue/pickup");
    let entry = app
        .post(&pickup_path, Some(&host), json!({ "orderId": order["id"] }))
        .await
        .expect(201);
    assert_eq!(
        (
            entry["kind"].as_str(),
            entry["size"].as_i64(),
            entry["position"].as_i64()
        ),
        (Some("pickup"), Some(3), Some(1))
    );
    assert_eq!(entry["name"], format!("#{}", order["number"]));
    let twice = app
        .post(&pickup_path, Some(&host), json!({ "orderId": order["id"] }))
        .await;
    assert_eq!(
        (twice.status.as_u16(), twice.code()),
        (409, "already_in_line")
    );
    let dine_in = place(&app, &host, &key(), &json!({
        "branchId": riyadh, "type": "dine_in", "table": "T1", "lines": [line(&m, "Karak Tea", 1)] }))
        .await
        .expect(201);
    assert_eq!(
        app.post(
            &pickup_path,
            Some(&host),
            json!({ "orderId": dine_in["id"] })
        )
        .await
        .status,
        422
    );
    // The customer follows their order's place; a pickup is handed over, not seated.
    let id = entry["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/queue/{id}"), &customer)
            .await
            .expect(200)["position"],
        1
    );
    // The order page finds the entry from the order: its customer and the hosts; another
    // guest of the branch does not, and an order not in the line has none.
    let by_order = format!("/api/orders/{}/queue", order["id"].as_str().unwrap());
    let found = app.get(&by_order, &customer).await.expect(200);
    assert_eq!(
        (found["id"].as_str(), found["position"].as_i64()),
        (Some(id), Some(1))
    );
    assert_eq!(app.get(&by_order, &host).await.expect(200)["id"], id);
    assert_eq!(app.get(&by_order, &guest).await.status, 404);
    let not_in_line = format!("/api/orders/{}/queue", dine_in["id"].as_str().unwrap());
    assert_eq!(app.get(&not_in_line, &host).await.status, 404);
    assert_eq!(act(&app, &host, &entry, "seat").await.code(), "not_a_party");
    assert_eq!(
        act(&app, &host, &entry, "done").await.expect(200)["status"],
        "done"
    );
    // Parties and pickups are separate lines: Sara is first among parties throughout.
    let lines = app.get(&path, &host).await.expect(200);
    assert_eq!(lines.as_array().unwrap().len(), 1);
    assert_eq!(lines[0]["position"], 1);
}
