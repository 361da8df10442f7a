//! Money given back on an order: refunds never return more than was taken, also under
//! concurrent requests; large refunds, discounts and voids of paid orders need a manager's PIN;
//! and the books balance and reconcile after a random day of sales, part payments and voids.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{APPROVAL, assert_books, key, line, menu, place, spawn_app};

#[tokio::test]
async fn refunds_never_return_more_than_was_taken() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let order = app.order().line("Karak Tea", 3).paid_cash(&cashier).await;
    let total = order["total"].as_i64().unwrap();
    assert!(total <= APPROVAL, "small enough for a cashier alone");

    let after = app
        .refund(&cashier, &order, &order["payments"][0], 100, None)
        .await
        .expect(201);
    assert_eq!(after["refunded"], 100);
    assert_eq!(after["payments"][0]["status"], "partially_refunded");
    let res = app
        .refund(&cashier, &order, &order["payments"][0], total, None)
        .await;
    assert_eq!(res.status, 422, "more than is left: {}", res.body);

    // Twenty concurrent refunds of 100 against what is left: only as many as fit go through.
    let left = total - 100;
    let answers = futures::future::join_all(
        (0..20).map(|_| app.refund(&cashier, &order, &order["payments"][0], 100, None)),
    )
    .await;
    let ok = answers.iter().filter(|a| a.status == 201).count() as i64;
    assert_eq!(ok, (left / 100).min(20));
    let refunded = app
        .scalar("select coalesce(sum(amount), 0)::bigint from refunds")
        .await;
    assert_eq!(refunded, 100 + ok * 100);
    assert!(refunded <= total);
    assert_books(&app).await;

    // Nothing to refund on an order that ended.
    let m = menu(&app, riyadh).await;
    let unpaid = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
    let manager = app.manager().await;
    app.set_status(
        &manager,
        unpaid["id"].as_str().unwrap(),
        "voided",
        Some("test"),
    )
    .await
    .expect(200);
    let res = app
        .post(
            &format!("/api/orders/{}/refunds", unpaid["id"].as_str().unwrap()),
            Some(&cashier),
            json!({ "paymentId": Uuid::now_v7(), "amount": 1, "reason": "x" }),
        )
        .await;
    assert_eq!(res.status, 409);
    // Kitchen and drivers do not refund.
    let kitchen = app.token(Role::Kitchen).await;
    assert_eq!(
        app.refund(&kitchen, &order, &order["payments"][0], 1, None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn large_refunds_discounts_and_voids_need_a_managers_pin() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let big = json!({ "branchId": riyadh, "type": "takeaway",
                      "lines": [line(&m, "Classic Beef Burger", 4)], "payment": { "method": "cash" } });
    let order = place(&app, &cashier, &key(), &big).await.expect(201);
    let total = order["total"].as_i64().unwrap();
    assert!(total > APPROVAL);

    assert_eq!(
        app.refund(&cashier, &order, &order["payments"][0], total, None)
            .await
            .status,
        422,
        "PIN asked for"
    );
    assert_eq!(
        app.refund(&cashier, &order, &order["payments"][0], total, Some("3333"))
            .await
            .status,
        403,
        "a cashier's own PIN"
    );
    assert_eq!(
        app.refund(&cashier, &order, &order["payments"][0], total, Some("9999"))
            .await
            .status,
        403,
        "no one's PIN"
    );
    let done = app
        .refund(&cashier, &order, &order["payments"][0], total, Some("2222"))
        .await
        .expect(201);
    assert_eq!(done["payments"][0]["status"], "refunded");
    assert_eq!(done["due"], 0, "a refund does not reopen the debt");
    // Settled by its refund: no void or cancel on top (its VAT is already given back).
    let manager = app.manager().await;
    let oid = order["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&manager, oid, "voided", Some("again"))
            .await
            .status,
        409
    );
    assert_eq!(
        app.set_status(&manager, oid, "cancelled", Some("again"))
            .await
            .status,
        409
    );
    assert_books(&app).await;
    let approved: i64 = app
        .scalar(
            "select count(*) from refunds r join memberships m \
        on m.user_id = r.approved_by where m.role = 'manager'",
        )
        .await;
    assert_eq!(approved, 1, "the approving manager is recorded");

    // A big discount from a cashier.
    let mut discounted = big.clone();
    discounted["discounts"] = json!([{ "percentBp": 5000, "label": "VIP" }]);
    assert_eq!(place(&app, &cashier, &key(), &discounted).await.status, 422);
    discounted["managerPin"] = json!("2222");
    let order = place(&app, &cashier, &key(), &discounted).await.expect(201);
    assert_eq!(
        order["totals"]["discountTotal"],
        order["totals"]["itemsGross"].as_i64().unwrap() / 2
    );

    // Voiding a paid order: the manager's PIN, the sale undone and the cash given back.
    let id = order["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/orders/{id}/status"),
            Some(&cashier),
            json!({ "status": "voided", "reason": "wrong table", "managerPin": "2222" }),
        )
        .await
        .expect(200);
    assert_eq!(res["status"], "voided");
    assert_eq!(res["refunded"], res["paid"]);
    assert_books(&app).await;
}

#[tokio::test]
async fn after_a_random_day_of_trading_the_books_balance_and_reconcile() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let m = menu(&app, riyadh).await;
    let names = [
        "Classic Beef Burger",
        "Karak Tea",
        "French Fries",
        "Chicken Shawarma",
        "Caesar Salad",
    ];
    let mut rng = StdRng::seed_from_u64(20261125);
    let mut open: Vec<String> = vec![];
    for _ in 0..60 {
        match rng.gen_range(0..10) {
            0..=5 => {
                let lines: Vec<Value> = (0..rng.gen_range(1..4))
                    .map(|_| {
                        line(
                            &m,
                            names[rng.gen_range(0..names.len())],
                            rng.gen_range(1..4),
                        )
                    })
                    .collect();
                let mut body = json!({ "branchId": riyadh, "type": "takeaway", "lines": lines,
                                       "tip": rng.gen_range(0..3) * 100 });
                if rng.gen_bool(0.3) {
                    body["discounts"] = json!([{ "percentBp": 1000, "label": "staff" }]);
                }
                if rng.gen_bool(0.5) {
                    body["payment"] = json!({ "method": "cash", "tendered": 1_000_000 });
                }
                let order = place(&app, &cashier, &key(), &body).await.expect(201);
                open.push(order["id"].as_str().unwrap().to_string());
            }
            6 | 7 if !open.is_empty() => {
                let id = &open[rng.gen_range(0..open.len())];
                let _ = app
                    .post(
                        &format!("/api/orders/{id}/payments"),
                        Some(&cashier),
                        json!({ "method": "cash", "amount": rng.gen_range(1..2000) }),
                    )
                    .await;
            }
            _ if !open.is_empty() => {
                let id = open.swap_remove(rng.gen_range(0..open.len()));
                let _ = app
                    .set_status(&manager, &id, "voided", Some("random"))
                    .await;
            }
            _ => {}
        }
        assert_books(&app).await;
    }
}
