//! Placing an order at checkout: a cashier's order priced from the menu with VAT, change and
//! events, numbered per branch and day; concurrent orders that get one number each; bad
//! requests and sold-out items that are refused and write nothing; and a guest who orders at a
//! table, follows the order and pays the waiter later.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{assert_books, find_item, key, line, menu, place, spawn_app};

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
