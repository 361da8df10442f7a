//! Discounts on single lines at the till: never more than the line, a manager's PIN above the
//! approval threshold, staff only, and the discount in the books.

use ledger::{self, Account};
use platform::db::TenantScope;
use serde_json::{Value, json};

use crate::helpers::{assert_books, int, key, line, menu, place, spawn_app};

fn discounted(mut l: Value, discounts: Value) -> Value {
    l["discounts"] = discounts;
    l
}

#[tokio::test]
async fn staff_discount_single_lines_within_what_they_cost() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;

    // Half off the burgers, then 1.00 off what is left of them; more than the tea costs off the
    // tea; 10 % off the whole order after that.
    let order = place(
        &app,
        &cashier,
        &key(),
        &json!({
            "branchId": riyadh, "type": "takeaway",
            "lines": [
                discounted(line(&m, "Classic Beef Burger", 2),
                           json!([{ "percentBp": 5000, "label": "Half" }, { "amount": 100, "label": "Sorry" }])),
                discounted(line(&m, "Karak Tea", 1), json!([{ "amount": 99999, "label": "On us" }])),
                line(&m, "French Fries", 1)
            ],
            "discounts": [{ "percentBp": 1000, "label": "Regulars" }]
        }),
    )
    .await
    .expect(201);
    let lines = order["lines"].as_array().unwrap();
    let (burgers, tea, fries) = (&lines[0], &lines[1], &lines[2]);
    let burger_gross = int(&burgers["gross"]);
    let after_line = burger_gross - (burger_gross * 5000 * 2 + 10000) / 20000 - 100;
    // The tea is free and no more: a line never goes below zero.
    assert_eq!(tea["net"], 0);
    assert_eq!(tea["discount"], tea["gross"]);
    // The order discount is taken from what the line discounts left, and spread over it.
    let t = &order["totals"];
    let subtotal = after_line + int(&fries["gross"]);
    let order_discount = (subtotal * 1000 * 2 + 10000) / 20000;
    assert_eq!(
        int(&t["lineDiscounts"]),
        (burger_gross - after_line) + int(&tea["gross"])
    );
    assert_eq!(int(&t["orderDiscounts"]), order_discount);
    assert_eq!(int(&t["itemsNet"]), subtotal - order_discount);
    assert!(int(&t["discountTotal"]) <= int(&t["itemsGross"]));
    assert_eq!(
        lines.iter().map(|l| int(&l["net"])).sum::<i64>(),
        int(&t["itemsNet"])
    );
    // In the books: the discounts account carries every halala of it.
    let mut tx = app
        .state
        .db
        .begin(TenantScope::tenant(app.demo.tenant_id))
        .await
        .unwrap();
    let booked = ledger::balance(&mut tx, Account::Discounts, None, "SAR")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(booked, int(&t["discountTotal"]));
    assert_books(&app).await;

    // Line discounts count towards the approval threshold: a cashier needs a manager's PIN.
    let big = json!({
        "branchId": riyadh, "type": "takeaway",
        "lines": [discounted(line(&m, "Classic Beef Burger", 4), json!([{ "percentBp": 5000, "label": "VIP" }]))]
    });
    let orders_before = app.scalar("select count(*) from orders").await;
    let res = place(&app, &cashier, &key(), &big).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"].to_string().contains("managerPin")
            || res.body.to_string().contains("managerPin")
    );
    let mut wrong = big.clone();
    wrong["managerPin"] = json!("3333");
    assert_eq!(place(&app, &cashier, &key(), &wrong).await.status, 403);
    // Malformed line discounts, and discounts from someone who is not staff.
    for bad in [
        json!([{ "percentBp": 500, "amount": 100, "label": "Both" }]),
        json!([{ "label": "Neither" }]),
        json!([{ "percentBp": 10001, "label": "Too much" }]),
        json!([{ "amount": 0, "label": "Zero" }]),
        json!([{ "amount": 1, "label": "" }]),
        json!([{ "amount": 1, "label": "a" }, { "amount": 1, "label": "b" },
               { "amount": 1, "label": "c" }, { "amount": 1, "label": "d" }]),
    ] {
        let body = json!({ "branchId": riyadh, "type": "takeaway",
                           "lines": [discounted(line(&m, "Karak Tea", 1), bad.clone())] });
        assert_eq!(
            place(&app, &cashier, &key(), &body).await.status,
            422,
            "{bad}"
        );
    }
    let guest = app.guest_token(riyadh).await;
    let body = json!({ "branchId": riyadh, "type": "dine_in", "table": "T1",
                       "lines": [discounted(line(&m, "Karak Tea", 1), json!([{ "amount": 100, "label": "Me" }]))] });
    assert_eq!(place(&app, &guest, &key(), &body).await.status, 403);
    assert_eq!(
        app.scalar("select count(*) from orders").await,
        orders_before,
        "nothing written"
    );
    // A cart line takes none: staff give discounts when the cart is checked out.
    let cart = app
        .post(
            "/api/carts",
            Some(&cashier),
            json!({ "branchId": riyadh, "type": "takeaway" }),
        )
        .await
        .expect(201);
    let res = app
        .post(
            &format!("/api/carts/{}/lines", cart["id"].as_str().unwrap()),
            Some(&cashier),
            discounted(
                line(&m, "Karak Tea", 1),
                json!([{ "amount": 100, "label": "Me" }]),
            ),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(app.scalar("select count(*) from cart_lines").await, 0);
    let mut approved = big.clone();
    approved["managerPin"] = json!("2222");
    let order = place(&app, &cashier, &key(), &approved).await.expect(201);
    assert_eq!(
        order["totals"]["discountTotal"],
        order["totals"]["itemsGross"].as_i64().unwrap() / 2
    );
    assert_books(&app).await;
}
