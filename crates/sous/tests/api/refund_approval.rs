//! The manager's approval of refunds is measured on everything given back on an order, not on
//! one request: small refunds that add up past the threshold need a manager too — in cash or
//! to the card, on one payment or across the order's payments, and when sent at once.

use serde_json::{Value, json};

use crate::helpers::{APPROVAL, Res, TestApp, assert_books, key, spawn_app};

/// An unpaid takeaway order worth well over 400.00.
async fn big_order(app: &TestApp, token: &str) -> Value {
    let order = app
        .order()
        .line("Classic Beef Burger", 20)
        .placed(token)
        .await;
    assert!(order["total"].as_i64().unwrap() > 8 * APPROVAL, "{order}");
    order
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
    let cashier = app.cashier().await;
    let order = big_order(&app, &cashier).await;
    let total = order["total"].as_i64().unwrap();
    let paid = app
        .pay(
            &cashier,
            order["id"].as_str().unwrap(),
            &key(),
            &json!({ "method": "cash", "amount": total }),
        )
        .await
        .expect(201);
    let payment = &paid["payments"][0];

    // Up to the threshold in all, a cashier alone.
    app.refund(&cashier, &order, payment, APPROVAL, None)
        .await
        .expect(201);
    // One more of the same size passes it: a manager must approve, and the refusal gives
    // nothing back.
    asks_for_a_manager(&app.refund(&cashier, &order, payment, APPROVAL, None).await);
    asks_for_a_manager(&app.refund(&cashier, &order, payment, 1, None).await);
    assert_eq!(
        app.scalar("select coalesce(sum(amount), 0)::bigint from refunds")
            .await,
        APPROVAL
    );
    let approved = app
        .refund(&cashier, &order, payment, APPROVAL, Some("2222"))
        .await
        .expect(201);
    assert_eq!(approved["refunded"], 2 * APPROVAL);
    // A manager signed in approves by being the one who refunds.
    let manager = app.manager().await;
    app.refund(&manager, &order, payment, APPROVAL, None)
        .await
        .expect(201);
    assert_eq!(
        app.scalar("select count(*) from refunds where approved_by is not null")
            .await,
        2
    );
    assert_books(&app).await;
}

#[tokio::test]
async fn card_refunds_count_with_the_orders_other_refunds() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let order = big_order(&app, &cashier).await;
    // Part in cash, part by card (an amount the simulated terminal approves).
    app.pay(
        &cashier,
        order["id"].as_str().unwrap(),
        &key(),
        &json!({ "method": "cash", "amount": 10_000 }),
    )
    .await
    .expect(201);
    let paid = app
        .pay(
            &cashier,
            order["id"].as_str().unwrap(),
            &key(),
            &json!({ "method": "card", "terminalId": "counter-1", "amount": 20_000 }),
        )
        .await
        .expect(201);
    let payments = paid["payments"].as_array().unwrap();
    let cash = payments.iter().find(|p| p["method"] == "cash").unwrap();
    let card = payments.iter().find(|p| p["method"] == "card").unwrap();

    app.refund(&cashier, &order, card, 3_000, None)
        .await
        .expect(201);
    // 30.00 more to the card would make 60.00 on the payment.
    asks_for_a_manager(&app.refund(&cashier, &order, card, 3_000, None).await);
    // 30.00 from the cash payment would make 60.00 on the order.
    asks_for_a_manager(&app.refund(&cashier, &order, cash, 3_000, None).await);
    assert_eq!(
        app.scalar("select refunded from simulator_terminal_charges")
            .await,
        3_000,
        "nothing more went back to the card"
    );
    app.refund(&cashier, &order, cash, 3_000, Some("2222"))
        .await
        .expect(201);
    assert_books(&app).await;
}

#[tokio::test]
async fn concurrent_small_refunds_cannot_both_slip_under_the_threshold() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    for method in ["cash", "card"] {
        let order = big_order(&app, &cashier).await;
        let body = match method {
            "cash" => json!({ "method": "cash", "amount": 20_000 }),
            _ => json!({ "method": "card", "terminalId": "counter-1", "amount": 20_000 }),
        };
        let paid = app
            .pay(&cashier, order["id"].as_str().unwrap(), &key(), &body)
            .await
            .expect(201);
        let payment = &paid["payments"][0];
        // Six at once, each 30.00: one fits under 50.00 alone, no two together.
        let answers = futures::future::join_all(
            (0..6).map(|_| app.refund(&cashier, &order, payment, 3_000, None)),
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
        let given: i64 = app
            .scalar(&format!(
                "select coalesce(sum(amount), 0)::bigint from refunds where order_id = '{}'",
                order["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(given, 3_000, "{method}");
    }
    assert_books(&app).await;
}
