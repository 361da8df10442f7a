//! Voiding a paid order gives the card payments back on the void's own connection: with a pool
//! of a single connection (every connection held by a void), the void still completes instead
//! of waiting on a second connection that never comes.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_books, key, line, menu, place, spawn_app};

#[tokio::test]
async fn a_paid_order_is_voided_with_a_single_connection() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let m = menu(&app, app.demo.riyadh).await;
    let order = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": app.demo.riyadh, "type": "takeaway",
                 "lines": [line(&m, "Classic Beef Burger", 6)] }),
    )
    .await
    .expect(201);
    let id = order["id"].as_str().unwrap();
    let paid = app
        .client
        .post(format!("{}/api/orders/{id}/payments", app.base))
        .bearer_auth(&cashier)
        .header("idempotency-key", key())
        .json(&json!({ "method": "card", "terminalId": "counter-1", "amount": 2_000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 201);

    let small = app.serve_with_pool(1).await;
    let started = std::time::Instant::now();
    let voided = app
        .call_at(
            &small,
            Method::POST,
            &format!("/api/orders/{id}/status"),
            Some(&manager),
            Some(json!({ "status": "voided", "reason": "wrong order" })),
        )
        .await
        .expect(200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "answered without waiting for the pool: {:?}",
        started.elapsed()
    );
    assert_eq!(voided["status"], "voided");
    assert_eq!(voided["refunded"], 2_000);
    assert_eq!(
        app.scalar("select refunded from simulator_terminal_charges")
            .await,
        2_000,
        "the card got its money back"
    );
    assert_books(&app).await;
}
