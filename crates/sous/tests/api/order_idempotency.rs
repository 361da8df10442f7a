//! Placing an order exactly once: concurrent retries with one idempotency key make one order
//! and replay its stored answer, a key reused with another body or a missing key is refused,
//! and an offline till replaying its queue with new keys makes each order once by its client
//! reference.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{assert_books, find_item, key, line, menu, menu_until, place, spawn_app};

#[tokio::test]
async fn fifty_concurrent_retries_make_one_order() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let body = json!({
        "branchId": riyadh, "type": "dine_in", "table": "T4",
        "lines": [line(&m, "Chicken Burger", 1)],
        "payment": { "method": "cash" }
    });
    let k = key();
    let answers =
        futures::future::join_all((0..50).map(|_| place(&app, &cashier, &k, &body))).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|a| {
            assert!(a.status == 201, "{} {}", a.status, a.body);
            a.body["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one order for one key");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.headers.contains_key("idempotent-replayed"))
            .count(),
        49
    );
    assert_eq!(app.scalar("select count(*) from orders").await, 1);
    assert_eq!(app.scalar("select count(*) from payments").await, 1);
    assert_eq!(
        app.scalar("select count(*) from journal_entries").await,
        2,
        "one sale, one payment"
    );

    // The same key with another body is refused, and changes nothing.
    let mut other = body.clone();
    other["table"] = json!("T5");
    let res = place(&app, &cashier, &k, &other).await;
    assert_eq!(res.status, 422, "{}", res.body);
    // No key at all.
    let res = app.post("/api/orders", Some(&cashier), body.clone()).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.code(), "idempotency_key_required");
    assert_eq!(app.scalar("select count(*) from orders").await, 1);

    // Once the burger is 86'd a new order for it is refused, but a retry of the one placed
    // still gets its stored answer.
    let item = find_item(&m, "Chicken Burger").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kitchen = app.token(Role::Kitchen).await;
    app.post(
        &format!("/api/branches/{riyadh}/catalog/items/{item}/sold-out"),
        Some(&kitchen),
        json!({}),
    )
    .await
    .expect(200);
    menu_until(&app, riyadh, |m| {
        find_item(m, "Chicken Burger").unwrap()["soldOut"] == true
    })
    .await;
    let res = place(&app, &cashier, &key(), &body).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["lines[0]"][0]
            .as_str()
            .unwrap()
            .contains("sold out")
    );
    let res = place(&app, &cashier, &k, &body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert!(res.headers.contains_key("idempotent-replayed"));
    assert_eq!(res.body, answers[0].body);
    // Both are sent as the JSON text they were stored as, typed as JSON.
    for headers in [&res.headers, &answers[0].headers] {
        assert_eq!(headers["content-type"], "application/json");
    }
    assert_eq!(app.scalar("select count(*) from orders").await, 1);
    assert_books(&app).await;
}

#[tokio::test]
async fn an_offline_pos_replaying_its_queue_twice_makes_each_order_once() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let queued: Vec<Value> = (0..100)
        .map(|i| {
            json!({ "branchId": riyadh, "type": "takeaway", "clientRef": Uuid::now_v7(),
                    "lines": [line(&m, "Karak Tea", 1 + i % 3)] })
        })
        .collect();
    for pass in 0..2 {
        for body in &queued {
            // A replay after a crash may not remember its idempotency keys: a new key each pass.
            let res = place(&app, &cashier, &key(), body).await;
            assert_eq!(
                res.status,
                if pass == 0 { 201 } else { 200 },
                "{}",
                res.body
            );
        }
    }
    assert_eq!(app.scalar("select count(*) from orders").await, 100);
    assert_eq!(
        app.scalar("select count(distinct number) from orders")
            .await,
        100
    );
    // Another guest cannot claim someone else's client ref.
    let guest = app.guest_token(riyadh).await;
    let mut stolen = queued[0].clone();
    stolen["type"] = json!("dine_in");
    let res = place(&app, &guest, &key(), &stolen).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_books(&app).await;
}
