//! Checkout and the order lifecycle: idempotent placement under concurrent retries, offline
//! replay, bad input that writes nothing, legal and illegal transitions, and books that
//! balance and reconcile after a random day of trading.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    APPROVAL, assert_books, find_item, key, line, menu, menu_until, place, spawn_app,
};

#[tokio::test]
async fn a_cashier_rings_up_an_order_and_takes_cash() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let body = json!({
        "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Classic Beef Burger", 2), line(&m, "Karak Tea", 1)],
        "payment": { "method": "cash", "tendered": 10000 }
    });
    let order = place(&app, &cashier, &key(), &body).await.expect(201);
    assert_eq!(order["number"], 1);
    assert_eq!(order["channel"], "pos");
    assert_eq!(order["status"], "placed");
    let burger = find_item(&m, "Classic Beef Burger").unwrap()["price"]
        .as_i64()
        .unwrap();
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines[0]["unitPrice"], burger);
    assert_eq!(lines[0]["gross"], burger * 2);
    let total = order["total"].as_i64().unwrap();
    assert_eq!(
        total,
        lines
            .iter()
            .map(|l| l["gross"].as_i64().unwrap())
            .sum::<i64>()
    );
    // VAT 15 % inside the prices, per invoice, rounded half up.
    assert_eq!(order["vat"], (total * 1500 + 11500 / 2) / 11500);
    assert_eq!(order["paid"], total);
    assert_eq!(order["due"], 0);
    assert_eq!(order["payments"][0]["changeGiven"], 10000 - total);
    assert_books(&app).await;
    // The answer is built from what was written, not read back: it must be the order as read.
    let id = order["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/orders/{id}"), &cashier)
        .await
        .expect(200);
    assert_eq!(read, order);

    // The next order of the day is number 2; the Dubai branch counts on its own.
    let again = place(&app, &cashier, &key(), &body).await.expect(201);
    assert_eq!(again["number"], 2);
    let owner = app.owner().await;
    let dubai_menu = menu(&app, app.demo.dubai).await;
    let dubai = json!({ "branchId": app.demo.dubai, "type": "takeaway",
                        "lines": [line(&dubai_menu, "Karak Tea", 1)] });
    assert_eq!(
        place(&app, &owner, &key(), &dubai).await.expect(201)["number"],
        1
    );
    // Every order announced itself on the orders channel.
    assert_eq!(
        app.scalar(
            "select count(*) from events where channel = 'orders' and type = 'order.placed'"
        )
        .await,
        3
    );
}

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

/// Order numbers are claimed outside the checkout's transaction (so checkouts of a branch do
/// not queue behind each other's commits): concurrent orders still get one number each, with
/// no gap when none fails, and a refused order does not stop the next.
#[tokio::test]
async fn concurrent_orders_get_one_number_each() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let body = json!({
        "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Chicken Burger", 1)],
        "payment": { "method": "cash" }
    });
    let keys: Vec<String> = (0..40).map(|_| key()).collect();
    let answers =
        futures::future::join_all(keys.iter().map(|k| place(&app, &cashier, k, &body))).await;
    let mut numbers: Vec<i64> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 201, "{}", a.body);
            a.body["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    assert_eq!(
        app.scalar("select count(distinct (branch_id, business_date, number)) from orders")
            .await,
        40
    );
    assert_books(&app).await;
    // The claim runs without a tenant scope, so it checks the branch is the brand's itself.
    let foreign = ordering::orders::repo::claim_number(&app.state.db, Uuid::now_v7(), riyadh).await;
    assert!(
        matches!(foreign, Err(platform::error::Error::NotFound)),
        "{foreign:?}"
    );
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

#[tokio::test]
async fn bad_orders_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let owner = app.owner().await;
    let guest = app.guest_token(riyadh).await;
    let (other_owner, _, other_branch) = app.other_tenant("brand-o").await;
    let m = menu(&app, riyadh).await;
    let burger = find_item(&m, "Classic Beef Burger").unwrap();
    let good = line(&m, "Classic Beef Burger", 1);
    let order = |lines: Value| json!({ "branchId": riyadh, "type": "takeaway", "lines": lines });
    let karak = line(&m, "Karak Tea", 1);
    let tea_options = karak["options"].clone();

    let cases: Vec<(&str, &str, Value, u16)> = vec![
        (
            "unknown item",
            &cashier,
            order(json!([{ "productId": Uuid::now_v7(), "quantity": 1 }])),
            422,
        ),
        ("no lines", &cashier, order(json!([])), 422),
        (
            "zero quantity",
            &cashier,
            order(
                json!([{ "productId": burger["id"], "options": good["options"], "quantity": 0 }]),
            ),
            422,
        ),
        (
            "negative quantity",
            &cashier,
            order(
                json!([{ "productId": burger["id"], "options": good["options"], "quantity": -1 }]),
            ),
            422,
        ),
        (
            "huge quantity",
            &cashier,
            order(
                json!([{ "productId": burger["id"], "options": good["options"], "quantity": 1_000_000_000 }]),
            ),
            422,
        ),
        (
            "another item's options",
            &cashier,
            order(json!([{ "productId": burger["id"], "options": tea_options, "quantity": 1 }])),
            422,
        ),
        (
            "required option missing",
            &cashier,
            order(json!([{ "productId": burger["id"], "quantity": 1 }])),
            422,
        ),
        (
            "options not ids",
            &cashier,
            order(json!([{ "productId": burger["id"], "options": "large", "quantity": 1 }])),
            422,
        ),
        (
            "a price in the request",
            &cashier,
            order(
                json!([{ "productId": burger["id"], "options": good["options"], "quantity": 1, "unitPrice": 1 }]),
            ),
            422,
        ),
        (
            "a total in the request",
            &cashier,
            json!({ "branchId": riyadh, "type": "takeaway", "lines": [good], "total": 1 }),
            422,
        ),
        (
            "unknown order type",
            &cashier,
            json!({ "branchId": riyadh, "type": "drive_thru", "lines": [good] }),
            422,
        ),
        (
            "over-payment",
            &cashier,
            json!({ "branchId": riyadh, "type": "takeaway", "lines": [good], "payment": { "method": "cash", "amount": 99_999_999 } }),
            422,
        ),
        (
            "tendered below amount",
            &cashier,
            json!({ "branchId": riyadh, "type": "takeaway", "lines": [good], "payment": { "method": "cash", "tendered": 1 } }),
            422,
        ),
        (
            "card payment (not offered)",
            &cashier,
            json!({ "branchId": riyadh, "type": "takeaway", "lines": [good], "payment": { "method": "card" } }),
            422,
        ),
        (
            "negative tip",
            &cashier,
            json!({ "branchId": riyadh, "type": "takeaway", "lines": [good], "tip": -5 }),
            422,
        ),
        (
            "guest discounts itself",
            &guest,
            json!({ "branchId": riyadh, "type": "dine_in", "lines": [good], "discounts": [{ "percentBp": 10000, "label": "free" }] }),
            403,
        ),
        (
            "guest pays cash itself",
            &guest,
            json!({ "branchId": riyadh, "type": "dine_in", "lines": [good], "payment": { "method": "cash" } }),
            403,
        ),
        (
            "another brand's branch",
            &cashier,
            json!({ "branchId": other_branch, "type": "takeaway", "lines": [good] }),
            403,
        ),
        (
            "another brand's item",
            &other_owner,
            json!({ "branchId": other_branch, "type": "takeaway", "lines": [good] }),
            422,
        ),
        (
            "unknown branch",
            &owner,
            json!({ "branchId": Uuid::now_v7(), "type": "takeaway", "lines": [good] }),
            404,
        ),
        (
            "malformed json",
            &cashier,
            Value::String("{ not json".into()),
            400,
        ),
    ];
    for (what, token, body, status) in cases {
        let res = if let Value::String(raw) = &body {
            let r = app
                .client
                .post(format!("{}/api/orders", app.base))
                .bearer_auth(token)
                .header("idempotency-key", key())
                .header("content-type", "application/json")
                .body(raw.clone())
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        } else {
            let res = place(&app, token, &key(), &body).await;
            assert_eq!(
                res.headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/problem+json"),
                "{what}"
            );
            res.status.as_u16()
        };
        assert_eq!(res, status, "{what}");
    }
    // A sold-out item.
    app.post(
        &format!(
            "/api/branches/{riyadh}/catalog/items/{}/sold-out",
            burger["id"].as_str().unwrap()
        ),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    let res = place(&app, &cashier, &key(), &order(json!([good]))).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["lines[0]"]
            .to_string()
            .contains("sold out"),
        "{}",
        res.body
    );

    assert_eq!(app.scalar("select count(*) from orders").await, 0);
    assert_eq!(app.scalar("select count(*) from journal_entries").await, 0);
    assert_eq!(app.scalar("select count(*) from idempotency_keys").await, 0);
}

#[tokio::test]
async fn orders_move_only_along_their_lifecycle() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let m = menu(&app, riyadh).await;
    let takeaway =
        json!({ "branchId": riyadh, "type": "takeaway", "lines": [line(&m, "French Fries", 1)] });
    let order = place(&app, &cashier, &key(), &takeaway).await.expect(201);
    let id = order["id"].as_str().unwrap();

    assert_eq!(
        app.set_status(&cashier, id, "ready", None).await.status,
        409,
        "no skipping"
    );
    for step in ["accepted", "preparing", "ready"] {
        app.set_status(&cashier, id, step, None).await.expect(200);
    }
    let res = app.set_status(&cashier, id, "served", None).await;
    assert_eq!(res.status, 409, "a takeaway is picked up, not served");
    assert_eq!(res.code(), "illegal_transition");
    app.set_status(&cashier, id, "picked_up", None)
        .await
        .expect(200);
    let closed = app
        .set_status(&cashier, id, "closed", None)
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(
        app.set_status(&manager, id, "voided", Some("x"))
            .await
            .status,
        409,
        "closed is final"
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from order_status_history where order_id = '{id}'"
        ))
        .await,
        6
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where stream = 'order:{id}'"
        ))
        .await,
        6,
        "every step is an orders event"
    );

    // Cancelling needs a reason and undoes the sale in the books.
    let order = place(&app, &cashier, &key(), &takeaway).await.expect(201);
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&cashier, id, "cancelled", None).await.status,
        422
    );
    app.set_status(&cashier, id, "cancelled", Some("guest left"))
        .await
        .expect(200);
    // The history says what happened, oldest first, with the reason and who did it; a guest
    // who did not place the order does not find it.
    let history = app
        .get(&format!("/api/orders/{id}/history"), &cashier)
        .await
        .expect(200);
    let steps = history.as_array().unwrap();
    assert_eq!(steps.len(), 2, "{history}");
    assert_eq!(steps[0]["from"], serde_json::Value::Null);
    assert_eq!(steps[0]["to"], "placed");
    assert_eq!(steps[1]["from"], "placed");
    assert_eq!(steps[1]["to"], "cancelled");
    assert_eq!(steps[1]["reason"], "guest left");
    assert!(steps[1]["actorId"].is_string(), "{history}");
    assert!(steps[0]["at"].as_str() <= steps[1]["at"].as_str());
    let guest = app.guest_token(riyadh).await;
    assert_eq!(
        app.get(&format!("/api/orders/{id}/history"), &guest)
            .await
            .status,
        404
    );

    // A paid order: voiding needs a manager (by PIN from a cashier's till).
    let order = app
        .order()
        .line("French Fries", 1)
        .paid_cash(&cashier)
        .await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&cashier, id, "voided", Some("mistake"))
            .await
            .status,
        422,
        "a cashier voids a paid order only with a manager's PIN"
    );
    assert_eq!(
        app.set_status(&cashier, id, "cancelled", Some("mistake"))
            .await
            .status,
        409,
        "a paid order is voided, not cancelled"
    );
    let unpaid = place(&app, &cashier, &key(), &takeaway).await.expect(201);
    let uid = unpaid["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&cashier, uid, "voided", Some("mistake"))
            .await
            .status,
        403
    );
    app.set_status(&manager, uid, "voided", Some("mistake"))
        .await
        .expect(200);
    assert_books(&app).await;

    // Staff of another branch and other guests do not see it.
    let guest = app.guest_token(riyadh).await;
    let res = app.get(&format!("/api/orders/{id}"), &guest).await;
    assert_eq!(res.status, 404);
    let listed = app
        .get(
            &format!("/api/orders?branchId={riyadh}&status=voided"),
            &cashier,
        )
        .await
        .expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let res = app
        .get(
            &format!("/api/orders?branchId={}", app.demo.dubai),
            &cashier,
        )
        .await;
    assert_eq!(res.status, 403);
}

#[tokio::test]
async fn a_guest_orders_at_the_table_and_follows_their_order() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let guest = app.guest_token(riyadh).await;
    let m = menu(&app, riyadh).await;
    let body = json!({ "branchId": riyadh, "type": "dine_in", "table": "T1",
                       "lines": [line(&m, "Chicken Shawarma", 2)], "tip": 500 });
    let order = place(&app, &guest, &key(), &body).await.expect(201);
    assert_eq!(order["channel"], "qr");
    assert_eq!(order["tip"], 500);
    assert_eq!(order["due"], order["total"]);
    let id = order["id"].as_str().unwrap();
    app.get(&format!("/api/orders/{id}"), &guest)
        .await
        .expect(200);
    // The waiter takes the cash later.
    let waiter = app.token(Role::Waiter).await;
    let paid = app
        .post(
            &format!("/api/orders/{id}/payments"),
            Some(&waiter),
            json!({ "method": "cash", "tendered": 100000 }),
        )
        .await
        .expect(201);
    assert_eq!(paid["due"], 0);
    let res = app
        .post(
            &format!("/api/orders/{id}/payments"),
            Some(&waiter),
            json!({ "method": "cash" }),
        )
        .await;
    assert_eq!(res.status, 409, "nothing left to pay");
    // Its events are addressed to the guest.
    let audience: Option<Uuid> = {
        let mut conn = app.db.owner_conn().await;
        sqlx::query_scalar("select audience from events where stream = $1 limit 1")
            .bind(format!("order:{id}"))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(
        audience.map(|a| a.to_string()),
        crate::helpers::claims(&guest)["sub"]
            .as_str()
            .map(String::from)
    );
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

#[tokio::test]
async fn the_receipt_is_a_bilingual_tax_invoice_with_the_zatca_qr() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let body = json!({ "branchId": riyadh, "type": "takeaway", "tip": 300,
                       "lines": [line(&m, "Classic Beef Burger", 1), line(&m, "Karak Tea", 2)],
                       "payment": { "method": "cash", "tendered": 20000 } });
    let order = place(&app, &cashier, &key(), &body).await.expect(201);
    let id = order["id"].as_str().unwrap();
    let r = app
        .get(&format!("/api/orders/{id}/receipt"), &cashier)
        .await
        .expect(200);
    let invoice_total = order["total"].as_i64().unwrap() - 300;
    assert_eq!(r["invoiceTotal"], invoice_total);
    assert_eq!(r["vat"], order["vat"]);
    assert_eq!(
        r["netOfVat"].as_i64().unwrap() + r["vat"].as_i64().unwrap(),
        invoice_total
    );
    assert_eq!(r["vatNumber"], identity::seed::DEMO_VAT_NUMBER);

    let fields = ordering::receipts::zatca::decode(r["qrPayload"].as_str().unwrap()).unwrap();
    let issued: chrono::DateTime<chrono::Utc> =
        order["createdAt"].as_str().unwrap().parse().unwrap();
    let money = |v: i64| format!("{}.{:02}", v / 100, v % 100);
    assert_eq!(
        fields,
        vec![
            (1, "مطبخ سو التجريبي".to_string()),
            (2, identity::seed::DEMO_VAT_NUMBER.to_string()),
            (3, issued.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            (4, money(invoice_total)),
            (5, money(order["vat"].as_i64().unwrap())),
        ]
    );

    let res = app
        .client
        .get(format!("{}/api/orders/{id}/receipt.html", app.base))
        .bearer_auth(&cashier)
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    for needle in [
        "<svg",
        "dir=\"rtl\"",
        "برجر",
        "Classic Beef Burger",
        "فاتورة ضريبية مبسطة",
        &money(invoice_total),
    ] {
        assert!(html.contains(needle), "{needle} missing from the receipt");
    }
    // Someone else's receipt is not found.
    let guest = app.guest_token(riyadh).await;
    assert_eq!(
        app.get(&format!("/api/orders/{id}/receipt"), &guest)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_owner_sets_the_vat_number() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let manager = app.manager().await;
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/tenant/tax",
                Some(&token),
                Some(body),
            )
            .await
            .status
            .as_u16()
        }
    };
    assert_eq!(
        put(owner.clone(), json!({ "vatNumber": "311111111111113" })).await,
        204
    );
    assert_eq!(
        put(owner.clone(), json!({ "vatNumber": "not a number!" })).await,
        422
    );
    assert_eq!(
        put(manager, json!({ "vatNumber": "311111111111113" })).await,
        403
    );
    assert_eq!(
        app.scalar("select count(*) from tenants where vat_number = '311111111111113'")
            .await,
        1
    );
}

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
async fn a_cash_drawer_from_float_to_count_and_the_days_z_report() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let till = app.till(riyadh, "3333").await.token;
    // A drawer belongs to a device: not from a password sign-in.
    let cashier = app.cashier().await;
    let res = app
        .post(
            "/api/drawers",
            Some(&cashier),
            json!({ "branchId": riyadh, "float": 10000 }),
        )
        .await;
    assert_eq!(res.status, 422);

    let drawer = app
        .post(
            "/api/drawers",
            Some(&till),
            json!({ "branchId": riyadh, "float": 10000 }),
        )
        .await
        .expect(201);
    let id = drawer["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            "/api/drawers",
            Some(&till),
            json!({ "branchId": riyadh, "float": 1 }),
        )
        .await;
    assert_eq!(res.status, 409, "one open drawer per device");
    // A reloaded till finds its drawer again; a password sign-in has no till and no drawer.
    let current = app.get("/api/drawers/current", &till).await.expect(200);
    assert_eq!(current["id"], drawer["id"]);
    assert_eq!(app.get("/api/drawers/current", &cashier).await.status, 404);

    let m = menu(&app, riyadh).await;
    let order = place(
        &app,
        &till,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Karak Tea", 2)], "payment": { "method": "cash", "tendered": 5000 } }),
    )
    .await
    .expect(201);
    let total = order["total"].as_i64().unwrap();
    app.refund(&till, &order, &order["payments"][0], 100, None)
        .await
        .expect(201);
    let path = |p: &str| format!("/api/drawers/{id}{p}");
    app.post(
        &path("/movements"),
        Some(&till),
        json!({ "kind": "cash_in", "amount": 500, "reason": "coins from the bank" }),
    )
    .await
    .expect(200);
    let x = app
        .post(
            &path("/movements"),
            Some(&till),
            json!({ "kind": "cash_out", "amount": 200, "reason": "ice delivery" }),
        )
        .await
        .expect(200);
    let expected = 10000 + total - 100 + 500 - 200;
    assert_eq!(x["expected"], expected);
    assert_eq!(x["cashSales"], total);
    assert_eq!(x["cashRefunds"], 100);
    let res = app
        .post(
            &path("/movements"),
            Some(&till),
            json!({ "kind": "cash_out", "amount": expected + 1, "reason": "too much" }),
        )
        .await;
    assert_eq!(
        res.status, 422,
        "cannot take out more than the drawer holds"
    );
    assert_books(&app).await;

    let closed = app
        .post(
            &path("/close"),
            Some(&till),
            json!({ "counted": expected - 50 }),
        )
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["overShort"], -50);
    assert_eq!(
        app.get("/api/drawers/current", &till).await.status,
        404,
        "a closed drawer is no till's current drawer"
    );
    assert_eq!(
        app.get(&path(""), &till).await.expect(200)["counted"],
        expected - 50
    );
    let res = app
        .post(&path("/close"), Some(&till), json!({ "counted": 1 }))
        .await;
    assert_eq!(res.status, 409);
    assert_books(&app).await;

    let today = order["businessDate"].as_str().unwrap();
    let manager = app.manager().await;
    let z = app
        .get(
            &format!("/api/branches/{riyadh}/reports/z?date={today}"),
            &manager,
        )
        .await
        .expect(200);
    assert_eq!(z["orders"], 1);
    assert_eq!(z["total"], total);
    assert_eq!(z["vat"], order["vat"]);
    assert_eq!(z["cashTaken"], total - 100);
    assert_eq!(z["refunds"], 100);
    assert_eq!(z["drawersClosed"], 1);
    assert_eq!(z["overShort"], -50);
    let res = app
        .get(
            &format!("/api/branches/{riyadh}/reports/z?date={today}"),
            &cashier,
        )
        .await;
    assert_eq!(res.status, 403);
}

#[tokio::test]
async fn promo_codes_apply_within_their_window_and_limits() {
    // A dozen guests at tables: more guest sessions than the per-address limit allows a minute.
    let mut settings = crate::helpers::settings();
    settings.rate_limits.signup_per_minute = 1000;
    let app = crate::helpers::spawn_app_with(settings).await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    let now = chrono::Utc::now();
    let promo = |code: &str,
                 from: i64,
                 until: i64,
                 max: Option<i32>,
                 per: Option<i32>,
                 min: i64| {
        json!({ "code": code, "percentBp": 1000,
                "validFrom": now + chrono::Duration::hours(from), "validUntil": now + chrono::Duration::hours(until),
                "maxUses": max, "maxUsesPerCustomer": per, "minOrder": min })
    };
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("WELCOME10", -1, 24, Some(2), Some(1), 1000),
    )
    .await
    .expect(201);
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("OLD", -48, -24, None, None, 0),
    )
    .await
    .expect(201);
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("SOON", 24, 48, None, None, 0),
    )
    .await
    .expect(201);
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("RUSH", -1, 24, Some(3), None, 0),
    )
    .await
    .expect(201);
    assert_eq!(
        app.post(
            "/api/promo-codes",
            Some(&owner),
            promo("welcome10", -1, 24, None, None, 0)
        )
        .await
        .status,
        409
    );
    let manager = app.manager().await; // scoped to one branch: brand-wide codes are not theirs
    assert_eq!(
        app.post(
            "/api/promo-codes",
            Some(&manager),
            promo("MINE", -1, 24, None, None, 0)
        )
        .await
        .status,
        403
    );

    let m = menu(&app, riyadh).await;
    let order = |code: &str, qty: u32| {
        json!({ "branchId": riyadh, "type": "dine_in",
        "lines": [line(&m, "Classic Beef Burger", qty)], "promoCode": code })
    };
    // A limit per customer counts phones (and accounts): without a phone the code is refused.
    let guest = app.guest_token(riyadh).await;
    let res = place(&app, &guest, &key(), &order("WELCOME10", 1)).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["contactPhone"]
            .to_string()
            .contains("limited per customer"),
        "{}",
        res.body
    );
    let order = |code: &str, phone: &str| {
        json!({ "branchId": riyadh, "type": "pickup", "contactPhone": phone,
        "lines": [line(&m, "Classic Beef Burger", 1)], "promoCode": code })
    };
    let first = app.token(Role::Customer).await;
    let placed = place(&app, &first, &key(), &order("welcome10", "+966501111111"))
        .await
        .expect(201);
    let gross = placed["totals"]["itemsGross"].as_i64().unwrap();
    assert_eq!(
        placed["totals"]["discountTotal"],
        (gross * 1000 + 5000) / 10000
    );
    let res = place(&app, &first, &key(), &order("WELCOME10", "+966501111111")).await;
    assert_eq!(res.status, 422, "once per customer: {}", res.body);
    let second = app.new_customer("second@customer.test").await;
    place(&app, &second, &key(), &order("WELCOME10", "+966502222222"))
        .await
        .expect(201);
    let third = app.new_customer("third@customer.test").await;
    let res = place(&app, &third, &key(), &order("WELCOME10", "+966503333333")).await;
    assert_eq!(res.status, 422, "used up");
    assert!(
        res.body["errors"]["promoCode"]
            .to_string()
            .contains("used up"),
        "{}",
        res.body
    );
    for (code, why) in [
        ("OLD", "expired"),
        ("SOON", "not valid yet"),
        ("NOPE", "no such"),
    ] {
        let res = place(&app, &third, &key(), &order(code, "+966503333333")).await;
        assert_eq!(res.status, 422, "{code}");
        assert!(
            res.body["errors"]["promoCode"].to_string().contains(why),
            "{code}: {}",
            res.body
        );
    }

    // Ten guests at once on a code with three uses: exactly three get it.
    let mut guests = vec![];
    for _ in 0..10 {
        guests.push(app.guest_token(riyadh).await);
    }
    let body = json!({ "branchId": riyadh, "type": "dine_in",
        "lines": [line(&m, "Classic Beef Burger", 1)], "promoCode": "RUSH" });
    let app_ref = &app;
    let answers = futures::future::join_all(guests.iter().map(|g| {
        let body = body.clone();
        async move { place(app_ref, g, &key(), &body).await.status.as_u16() }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 201).count(),
        3,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|s| **s == 422).count(),
        7,
        "{answers:?}"
    );
    let listed = app.get("/api/promo-codes", &owner).await.expect(200);
    let rush = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "RUSH")
        .unwrap();
    assert_eq!(rush["uses"], 3);
    assert_books(&app).await;
}

#[tokio::test]
async fn a_promo_below_its_minimum_order_does_not_apply() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    let now = chrono::Utc::now();
    app.post("/api/promo-codes", Some(&owner), json!({ "code": "BIG", "amount": 1000,
        "validFrom": now - chrono::Duration::hours(1), "validUntil": now + chrono::Duration::hours(1),
        "minOrder": 100000 })).await.expect(201);
    let m = menu(&app, riyadh).await;
    let guest = app.guest_token(riyadh).await;
    let res = place(
        &app,
        &guest,
        &key(),
        &json!({ "branchId": riyadh, "type": "dine_in",
        "lines": [line(&m, "Karak Tea", 1)], "promoCode": "BIG" }),
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body["errors"]["promoCode"]
            .to_string()
            .contains("at least"),
        "{}",
        res.body
    );
    assert_eq!(app.scalar("select count(*) from orders").await, 0);
}

#[tokio::test]
async fn waiters_see_open_tables_and_move_a_party() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let waiter = app.token(Role::Waiter).await;
    let m = menu(&app, riyadh).await;
    let at = |table: &str| {
        json!({ "branchId": riyadh, "type": "dine_in", "table": table,
                                  "lines": [line(&m, "Karak Tea", 1)] })
    };
    let first = place(&app, &waiter, &key(), &at("T1")).await.expect(201);
    place(&app, &waiter, &key(), &at("T1")).await.expect(201);
    place(&app, &waiter, &key(), &at("T7")).await.expect(201);
    place(
        &app,
        &waiter,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);

    let tables = app
        .get(&format!("/api/branches/{riyadh}/tables"), &waiter)
        .await
        .expect(200);
    let t1 = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "T1")
        .unwrap();
    assert_eq!(t1["orders"], 2);
    assert_eq!(t1["due"], first["total"].as_i64().unwrap() * 2);
    assert_eq!(
        tables.as_array().unwrap().len(),
        2,
        "takeaways sit at no table"
    );

    let id = first["id"].as_str().unwrap();
    let moved = app
        .post(
            &format!("/api/orders/{id}/table"),
            Some(&waiter),
            json!({ "table": "T9" }),
        )
        .await
        .expect(200);
    assert_eq!(moved["table"], "T9");
    let tables = app
        .get(&format!("/api/branches/{riyadh}/tables"), &waiter)
        .await
        .expect(200);
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["T1", "T7", "T9"]);
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where stream = 'order:{id}' and type = 'order.moved'"
        ))
        .await,
        1
    );
    let res = app
        .get(&format!("/api/branches/{}/tables", app.demo.dubai), &waiter)
        .await;
    assert_eq!(res.status, 403);
}
