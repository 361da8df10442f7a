//! The manager's approval of refunds is measured on everything given back on an order, not on
//! one request: small refunds that add up past the threshold need a manager too — in cash or
//! to the card, on one payment or across the order's payments, and when sent at once.

use platform::auth::Role;
use serde_json::{Value, json};

use crate::{
    catalog::menu,
    helpers::{Res, TestApp, key, spawn_app},
    orders::{APPROVAL, assert_books, count, line, place},
};

/// An unpaid takeaway order worth well over 400.00.
async fn big_order(app: &TestApp, token: &str) -> Value {
    let m = menu(app, app.demo.riyadh).await;
    let body = json!({ "branchId": app.demo.riyadh, "type": "takeaway",
                       "lines": [line(&m, "Classic Beef Burger", 20)] });
    let order = place(app, token, &key(), &body).await.expect(201);
    assert!(order["total"].as_i64().unwrap() > 8 * APPROVAL, "{order}");
    order
}

async fn pay(app: &TestApp, token: &str, order: &Value, body: Value) -> Value {
    let id = order["id"].as_str().unwrap();
    let res = app
        .client
        .post(format!("{}/api/orders/{id}/payments", app.base))
        .bearer_auth(token)
        .header("idempotency-key", key())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn refund(
    app: &TestApp,
    token: &str,
    order: &Value,
    payment: &Value,
    amount: i64,
    pin: Option<&str>,
) -> Res {
    app.post(
        &format!("/api/orders/{}/refunds", order["id"].as_str().unwrap()),
        Some(token),
        json!({ "paymentId": payment["id"], "amount": amount, "reason": "cold food",
                "managerPin": pin }),
    )
    .await
}

#[track_caller]
fn asks_for_a_manager(res: &Res) {
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["managerPin"].is_array(),
        "the manager's PIN is asked for: {}",
        res.body
    );
}

#[tokio::test]
async fn cash_refunds_that_add_up_past_the_threshold_need_a_manager() {
    let app = spawn_app().await;
    let cashier = app.token(Role::Cashier).await;
    let order = big_order(&app, &cashier).await;
    let total = order["total"].as_i64().unwrap();
    let paid = pay(
        &app,
        &cashier,
        &order,
        json!({ "method": "cash", "amount": total }),
    )
    .await;
    let payment = &paid["payments"][0];

    // Up to the threshold in all, a cashier alone.
    refund(&app, &cashier, &order, payment, APPROVAL, None)
        .await
        .expect(201);
    // One more of the same size passes it: a manager must approve, and the refusal gives
    // nothing back.
    asks_for_a_manager(&refund(&app, &cashier, &order, payment, APPROVAL, None).await);
    asks_for_a_manager(&refund(&app, &cashier, &order, payment, 1, None).await);
    assert_eq!(
        count(&app, "select coalesce(sum(amount), 0)::bigint from refunds").await,
        APPROVAL
    );
    let approved = refund(&app, &cashier, &order, payment, APPROVAL, Some("2222"))
        .await
        .expect(201);
    assert_eq!(approved["refunded"], 2 * APPROVAL);
    // A manager signed in approves by being the one who refunds.
    let manager = app.token(Role::Manager).await;
    refund(&app, &manager, &order, payment, APPROVAL, None)
        .await
        .expect(201);
    assert_eq!(
        count(
            &app,
            "select count(*) from refunds where approved_by is not null"
        )
        .await,
        2
    );
    assert_books(&app).await;
}

#[tokio::test]
async fn card_refunds_count_with_the_orders_other_refunds() {
    let app = spawn_app().await;
    let cashier = app.token(Role::Cashier).await;
    let order = big_order(&app, &cashier).await;
    // Part in cash, part by card (an amount the simulated terminal approves).
    pay(
        &app,
        &cashier,
        &order,
        json!({ "method": "cash", "amount": 10_000 }),
    )
    .await;
    let paid = pay(
        &app,
        &cashier,
        &order,
        json!({ "method": "card", "terminalId": "counter-1", "amount": 20_000 }),
    )
    .await;
    let payments = paid["payments"].as_array().unwrap();
    let cash = payments.iter().find(|p| p["method"] == "cash").unwrap();
    let card = payments.iter().find(|p| p["method"] == "card").unwrap();

    refund(&app, &cashier, &order, card, 3_000, None)
        .await
        .expect(201);
    // 30.00 more to the card would make 60.00 on the payment.
    asks_for_a_manager(&refund(&app, &cashier, &order, card, 3_000, None).await);
    // 30.00 from the cash payment would make 60.00 on the order.
    asks_for_a_manager(&refund(&app, &cashier, &order, cash, 3_000, None).await);
    assert_eq!(
        count(&app, "select refunded from simulator_terminal_charges").await,
        3_000,
        "nothing more went back to the card"
    );
    refund(&app, &cashier, &order, cash, 3_000, Some("2222"))
        .await
        .expect(201);
    assert_books(&app).await;
}

#[tokio::test]
async fn concurrent_small_refunds_cannot_both_slip_under_the_threshold() {
    let app = spawn_app().await;
    let cashier = app.token(Role::Cashier).await;
    for method in ["cash", "card"] {
        let order = big_order(&app, &cashier).await;
        let body = match method {
            "cash" => json!({ "method": "cash", "amount": 20_000 }),
            _ => json!({ "method": "card", "terminalId": "counter-1", "amount": 20_000 }),
        };
        let paid = pay(&app, &cashier, &order, body).await;
        let payment = &paid["payments"][0];
        // Six at once, each 30.00: one fits under 50.00 alone, no two together.
        let answers = futures::future::join_all(
            (0..6).map(|_| refund(&app, &cashier, &order, payment, 3_000, None)),
        )
        .await;
        let ok = answers.iter().filter(|a| a.status == 201).count();
        assert_eq!(
            ok,
            1,
            "{method}: {:?}",
            answers.iter().map(|a| &a.body).collect::<Vec<_>>()
        );
        for refused in answers.iter().filter(|a| a.status != 201) {
            asks_for_a_manager(refused);
        }
        let given: i64 = count(
            &app,
            &format!(
                "select coalesce(sum(amount), 0)::bigint from refunds where order_id = '{}'",
                order["id"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(given, 3_000, "{method}");
    }
    assert_books(&app).await;
}
