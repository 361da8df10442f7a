//! Taking a line off an order after it was sent: a reason always, a manager above the approval
//! threshold, the order priced again without the line, the kitchen's tickets striking it
//! through, the books moved to the new total — and every refusal changes nothing.

use platform::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{APPROVAL, Res, TestApp, assert_books, int, key, spawn_app};

async fn void(app: &TestApp, token: &str, order: &Value, line: &Value, body: Value) -> Res {
    app.post(
        &format!(
            "/api/orders/{}/lines/{}/void",
            order["id"].as_str().unwrap(),
            line["id"].as_str().unwrap()
        ),
        Some(token),
        body,
    )
    .await
}

fn line_named<'a>(order: &'a Value, name: &str) -> &'a Value {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("{name} on {order}"))
}

/// Nothing of a refused void is written: no void, the same total, no new journal entry.
async fn nothing_voided(app: &TestApp, order: &Value, total: i64) {
    assert_eq!(app.scalar("select count(*) from order_line_voids").await, 0);
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        app.scalar(&format!("select total from orders where id = '{id}'"))
            .await,
        total
    );
    assert_eq!(
        app.scalar("select count(*) from journal_entries where kind = 'line_void'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_sent_line_comes_off_the_order_the_kitchen_and_the_books() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let waiter = app.token(Role::Waiter).await;
    let kitchen = app.token(Role::Kitchen).await;
    let order = app
        .order()
        .kind("dine_in")
        .table("T4")
        .line("Classic Beef Burger", 1)
        .line("French Fries", 2)
        .line("Pepsi", 1)
        .placed(&waiter)
        .await;
    let id = order["id"].as_str().unwrap();
    app.set_status(&waiter, id, "accepted", None)
        .await
        .expect(200);
    let fries = line_named(&order, "French Fries");
    let total = int(&order["total"]);

    // A reason is needed, an unknown line is not found, and neither writes anything.
    let res = void(&app, &waiter, &order, fries, json!({ "reason": "" })).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let stranger = json!({ "id": uuid::Uuid::now_v7() });
    let res = void(&app, &waiter, &order, &stranger, json!({ "reason": "x" })).await;
    assert_eq!(res.status, 404, "{}", res.body);
    nothing_voided(&app, &order, total).await;

    let after = void(
        &app,
        &waiter,
        &order,
        fries,
        json!({ "reason": "Guest changed their mind" }),
    )
    .await
    .expect(200);
    let voided = line_named(&after, "French Fries");
    assert_eq!(voided["voided"]["reason"], "Guest changed their mind");
    assert!(line_named(&after, "Pepsi")["voided"].is_null());
    // Prices include VAT here: the order comes to what the lines that stay came to, and its VAT
    // is computed once on the new invoice.
    assert_eq!(int(&after["total"]), total - int(&fries["net"]));
    let t = &after["totals"];
    assert_eq!(
        int(&t["itemsGross"]),
        int(&order["totals"]["itemsGross"]) - int(&fries["gross"])
    );
    let taxable = int(&t["taxable"]);
    assert_eq!(
        int(&t["vat"]),
        (taxable * 1500 * 2 + 11500) / (2 * 11500),
        "{t}"
    );
    assert_eq!(after["total"], t["total"]);

    // A second void of the same line is refused.
    let again = void(&app, &waiter, &order, fries, json!({ "reason": "twice" })).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["code"], "already_voided", "{}", again.body);

    // The kitchen strikes the fries through and stops counting them; the station is told.
    let tickets = app.tickets_of(&kitchen, id).await;
    let items: Vec<&Value> = tickets
        .iter()
        .flat_map(|t| t["items"].as_array().unwrap())
        .collect();
    let fried = items.iter().find(|i| i["name"] == "French Fries").unwrap();
    assert_eq!(fried["voided"], true);
    assert!(
        items
            .iter()
            .filter(|i| i["name"] != "French Fries")
            .all(|i| i["voided"] == false)
    );
    let all_day = app
        .get(&format!("/api/branches/{riyadh}/kitchen/all-day"), &kitchen)
        .await
        .expect(200);
    assert!(
        !all_day
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "French Fries"),
        "{all_day}"
    );
    assert_eq!(
        app.scalar("select count(*) from events where type = 'ticket.item_voided'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("select count(*) from events where type = 'order.line_voided'")
            .await,
        1
    );

    // The receipt does not list it and adds up to the new total; the books follow.
    let receipt = app
        .get(&format!("/api/orders/{id}/receipt"), &waiter)
        .await
        .expect(200);
    assert!(
        !receipt["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "French Fries"),
        "{receipt}"
    );
    assert_eq!(
        app.scalar("select count(*) from journal_entries where kind = 'line_void'")
            .await,
        1
    );
    assert_books(&app).await;

    // Paid in full at the new total, the books still balance.
    let cashier = app.cashier().await;
    cash(&app, &cashier, id_of(&after), int(&after["total"])).await;
    assert_books(&app).await;
}

fn id_of(order: &Value) -> &str {
    order["id"].as_str().unwrap()
}

/// Pays `amount` of order `id` in cash.
async fn cash(app: &TestApp, token: &str, id: &str, amount: i64) {
    app.pay(
        token,
        id,
        &key(),
        &json!({ "method": "cash", "amount": amount }),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn a_line_above_the_threshold_needs_a_manager_and_the_last_line_stays() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let order = app
        .order()
        .line("Classic Beef Burger", 20)
        .line("Pepsi", 1)
        .placed(&cashier)
        .await;
    let burgers = line_named(&order, "Classic Beef Burger");
    assert!(int(&burgers["net"]) > APPROVAL, "{burgers}");
    let total = int(&order["total"]);

    let res = void(
        &app,
        &cashier,
        &order,
        burgers,
        json!({ "reason": "wrong item" }),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body["errors"]["managerPin"].is_array(), "{}", res.body);
    let res = void(
        &app,
        &cashier,
        &order,
        burgers,
        json!({ "reason": "wrong item", "managerPin": "3333" }),
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.body);
    nothing_voided(&app, &order, total).await;

    let after = void(
        &app,
        &cashier,
        &order,
        burgers,
        json!({ "reason": "wrong item", "managerPin": "2222" }),
    )
    .await
    .expect(200);
    assert_eq!(int(&after["total"]), total - int(&burgers["net"]));
    let manager = app.demo_pin_user("2222").await;
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from order_line_voids where approved_by = '{manager}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'order.line_voided'")
            .await,
        1
    );

    // The Pepsi is all that is left: the order is cancelled or voided instead.
    let res = void(
        &app,
        &cashier,
        &order,
        line_named(&order, "Pepsi"),
        json!({ "reason": "changed mind" }),
    )
    .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.body["code"], "last_line", "{}", res.body);
    assert_books(&app).await;
}

#[tokio::test]
async fn a_void_never_leaves_more_paid_than_owed_and_split_checks_forget_the_line() {
    let app = spawn_app().await;
    let waiter = app.token(Role::Waiter).await;
    let cashier = app.cashier().await;
    let order = app
        .order()
        .kind("dine_in")
        .table("T6")
        .line("Classic Beef Burger", 1)
        .line("French Fries", 1)
        .line("Pepsi", 1)
        .placed(&waiter)
        .await;
    let id = id_of(&order);
    let total = int(&order["total"]);
    cash(&app, &cashier, id, total - 1).await;
    let fries = line_named(&order, "French Fries");
    let res = void(&app, &waiter, &order, fries, json!({ "reason": "cold" })).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.body["code"], "paid", "{}", res.body);
    nothing_voided(&app, &order, total).await;

    // Another table: void, then split by item — the voided line goes to neither check.
    let order = app
        .order()
        .kind("dine_in")
        .table("T8")
        .line("Classic Beef Burger", 1)
        .line("French Fries", 1)
        .line("Pepsi", 1)
        .placed(&waiter)
        .await;
    void(
        &app,
        &waiter,
        &order,
        line_named(&order, "French Fries"),
        json!({ "reason": "cold" }),
    )
    .await
    .expect(200);
    let pepsi = line_named(&order, "Pepsi")["id"].clone();
    let split = app
        .post(
            &format!("/api/orders/{}/split", id_of(&order)),
            Some(&waiter),
            json!({ "mode": "items", "lines": [pepsi] }),
        )
        .await
        .expect(200);
    let names: Vec<&str> = split["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["lines"].as_array().unwrap())
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"French Fries"), "{names:?}");
    // The fries' line stays voided on the split order: a split cannot bring it back.
    let fries = line_named(&order, "French Fries");
    let res = void(&app, &waiter, &order, fries, json!({ "reason": "cold" })).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_books(&app).await;
}
