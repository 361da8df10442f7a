//! Merging and splitting checks at the table: new checks whose money sums to the old ones to the
//! halala, the old ones ended with their sale reversed, the books balanced and reconciled; and
//! every refusal writes nothing.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Res, TestApp, assert_books, int, key, line, menu, place, spawn_app};

fn seat(mut l: Value, seat: i64) -> Value {
    l["seat"] = json!(seat);
    l
}

fn sum(checks: &[Value], f: impl Fn(&Value) -> &Value) -> i64 {
    checks.iter().map(|c| int(f(c))).sum()
}

/// Every check is a proper invoice: VAT 15 % inside the taxable amount, once per invoice, and
/// the lines' VAT and the service charge's share add up to it.
fn assert_invoice(c: &Value) {
    let t = &c["totals"];
    let taxable = int(&t["taxable"]);
    assert_eq!(
        int(&t["vat"]),
        (taxable * 1500 * 2 + 11500) / (2 * 11500),
        "{t}"
    );
    let lines = c["lines"].as_array().unwrap();
    let line_vat: i64 = lines.iter().map(|l| int(&l["vat"])).sum();
    assert_eq!(
        line_vat + int(&t["serviceChargeVat"]) + int(&t["deliveryFeeVat"]),
        int(&t["vat"])
    );
    assert_eq!(int(&t["total"]), int(&t["invoiceTotal"]) + int(&t["tip"]));
    assert_eq!(c["total"], t["total"]);
}

async fn step(app: &TestApp, token: &str, id: &str, to: &str) {
    app.post(
        &format!("/api/orders/{id}/status"),
        Some(token),
        json!({ "status": to }),
    )
    .await
    .expect(200);
}

async fn serve(app: &TestApp, token: &str, id: &str) {
    for to in ["accepted", "preparing", "ready", "served"] {
        step(app, token, id, to).await;
    }
}

async fn split(app: &TestApp, token: &str, id: &str, body: Value) -> Res {
    app.post(&format!("/api/orders/{id}/split"), Some(token), body)
        .await
}

#[tokio::test]
async fn a_table_check_splits_by_item_and_by_seat_to_the_halala() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let waiter = app.token(Role::Waiter).await;
    let m = menu(&app, riyadh).await;
    // Four guests' lines, a 10 % order discount and a tip: the discount's allocation, the tip and
    // the VAT all have to be divided.
    let order = place(
        &app,
        &waiter,
        &key(),
        &json!({
            "branchId": riyadh, "type": "dine_in", "table": "T7", "tip": 1001,
            "lines": [seat(line(&m, "Classic Beef Burger", 2), 1), seat(line(&m, "Karak Tea", 1), 2),
                      seat(line(&m, "French Fries", 1), 2), seat(line(&m, "Chicken Shawarma", 1), 3),
                      line(&m, "Pepsi", 3)],
            "discounts": [{ "percentBp": 1000, "label": "Regulars" }]
        }),
    )
    .await
    .expect(201);
    let id = order["id"].as_str().unwrap();
    let lines = order["lines"].as_array().unwrap();
    let entries_before = app.scalar("select count(*) from journal_entries").await;

    // By item, while the kitchen has not got it: the tea and the fries to a new check.
    let chosen = [lines[1]["id"].clone(), lines[2]["id"].clone()];
    let res = split(
        &app,
        &waiter,
        id,
        json!({ "mode": "items", "lines": chosen }),
    )
    .await
    .expect(200);
    assert_eq!(res["ended"], json!([id]));
    let checks = res["checks"].as_array().unwrap().clone();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["lines"].as_array().unwrap().len(), 3);
    assert_eq!(checks[1]["lines"].as_array().unwrap().len(), 2);
    assert_eq!(checks[1]["lines"][0]["name"], lines[1]["name"]);
    for c in &checks {
        assert_eq!(c["status"], "placed");
        assert_eq!(c["table"], "T7");
        assert_eq!(c["type"], "dine_in");
        assert_eq!(c["paid"], 0);
        assert_invoice(c);
    }
    // The day's next numbers.
    assert_eq!(checks[0]["number"], 2);
    assert_eq!(checks[1]["number"], 3);
    // Money: the totals, items, discounts and tip of the new checks are the old check's.
    assert_eq!(sum(&checks, |c| &c["total"]), int(&order["total"]));
    assert_eq!(sum(&checks, |c| &c["tip"]), 1001);
    for k in ["itemsGross", "discountTotal", "itemsNet", "taxable"] {
        assert_eq!(
            sum(&checks, |c| &c["totals"][k]),
            int(&order["totals"][k]),
            "{k}"
        );
    }
    // Every line kept its price, quantity and net to the halala.
    let figures = |ls: Vec<Value>| {
        let mut v: Vec<(i64, i64, i64, i64)> = ls
            .iter()
            .map(|l| {
                (
                    int(&l["unitPrice"]),
                    int(&l["quantity"]),
                    int(&l["gross"]),
                    int(&l["net"]),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        figures(lines.clone()),
        figures(
            checks
                .iter()
                .flat_map(|c| c["lines"].as_array().unwrap().clone())
                .collect()
        )
    );

    // The old check ended as split, its sale reversed: one reversal and two sales.
    let ended = app
        .get(&format!("/api/orders/{id}"), &waiter)
        .await
        .expect(200);
    assert_eq!(ended["status"], "split");
    assert_eq!(
        app.scalar("select count(*) from journal_entries").await,
        entries_before + 3
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from journal_entries where kind = 'split' and reference_id = '{id}'"
        ))
        .await,
        1
    );
    let history = app
        .scalar(&format!(
            "select count(*) from order_status_history where order_id = '{id}' \
             and from_status = 'placed' and to_status = 'split'"
        ))
        .await;
    assert_eq!(history, 1);
    let events = app
        .scalar(&format!(
            "select count(*) from events where stream = 'order:{id}' and type = 'order.split'"
        ))
        .await;
    assert_eq!(events, 1);
    let view = app
        .get(&format!("/api/orders/{id}/check"), &waiter)
        .await
        .expect(200);
    assert_eq!(view["became"], json!([checks[0]["id"], checks[1]["id"]]));
    let first = checks[0]["id"].as_str().unwrap();
    let view = app
        .get(&format!("/api/orders/{first}/check"), &waiter)
        .await
        .expect(200);
    assert_eq!(view["madeFrom"], json!([id]));
    assert_books(&app).await;
    // An ended check takes no money and is split no more.
    let res = app
        .post(
            &format!("/api/orders/{id}/payments"),
            Some(&waiter),
            json!({ "method": "cash" }),
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(res.code(), "order_ended");

    // By seat, once served: seats 1 and 3 and the Pepsis without a seat, three checks.
    serve(&app, &waiter, first).await;
    let res = split(&app, &waiter, first, json!({ "mode": "seats" }))
        .await
        .expect(200);
    let by_seat = res["checks"].as_array().unwrap().clone();
    assert_eq!(by_seat.len(), 3);
    assert_eq!(by_seat[0]["lines"][0]["seat"], Value::Null);
    assert_eq!(by_seat[1]["lines"][0]["seat"], 1);
    assert_eq!(by_seat[2]["lines"][0]["seat"], 3);
    for c in &by_seat {
        assert_eq!(c["status"], "served", "the kitchen is not asked again");
        assert_invoice(c);
    }
    assert_eq!(sum(&by_seat, |c| &c["total"]), int(&checks[0]["total"]));
    assert_eq!(sum(&by_seat, |c| &c["tip"]), int(&checks[0]["tip"]));
    let tickets_of_new = app
        .scalar(&format!(
            "select count(*) from kitchen_tickets where order_id in ('{}', '{}', '{}')",
            by_seat[0]["id"].as_str().unwrap(),
            by_seat[1]["id"].as_str().unwrap(),
            by_seat[2]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(tickets_of_new, 0);
    // Each new check is paid on its own; the whole table still adds up.
    for c in &by_seat {
        app.post(
            &format!("/api/orders/{}/payments", c["id"].as_str().unwrap()),
            Some(&waiter),
            json!({ "method": "cash" }),
        )
        .await
        .expect(201);
    }
    assert_books(&app).await;
}

#[tokio::test]
async fn two_checks_merge_into_one() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let waiter = app.token(Role::Waiter).await;
    let m = menu(&app, riyadh).await;
    let a = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "dine_in", "table": "T1", "tip": 300,
                 "lines": [line(&m, "Classic Beef Burger", 1), line(&m, "Karak Tea", 2)] }),
    )
    .await
    .expect(201);
    let b = place(
        &app,
        &waiter,
        &key(),
        &json!({ "branchId": riyadh, "type": "dine_in", "table": "T2",
                 "lines": [line(&m, "Chicken Burger", 1)],
                 "discounts": [{ "amount": 250, "label": "Late food" }] }),
    )
    .await
    .expect(201);
    let (aid, bid) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let res = app
        .post(
            &format!("/api/orders/{aid}/merge"),
            Some(&waiter),
            json!({ "orderId": bid }),
        )
        .await
        .expect(200);
    assert_eq!(res["ended"], json!([aid, bid]));
    let merged = &res["checks"][0];
    assert_eq!(res["checks"].as_array().unwrap().len(), 1);
    assert_eq!(
        merged["table"], "T1",
        "the check merged into keeps its table"
    );
    let names: Vec<&Value> = merged["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["name"])
        .collect();
    assert_eq!(
        names,
        vec![
            &a["lines"][0]["name"],
            &a["lines"][1]["name"],
            &b["lines"][0]["name"]
        ]
    );
    assert_eq!(int(&merged["total"]), int(&a["total"]) + int(&b["total"]));
    assert_eq!(merged["tip"], 300);
    assert_eq!(merged["totals"]["discountTotal"], 250);
    // Placed by two people: the merged check is the staff member's.
    assert_eq!(merged["channel"], "pos");
    assert_invoice(merged);
    for id in [aid, bid] {
        let o = app
            .get(&format!("/api/orders/{id}"), &cashier)
            .await
            .expect(200);
        assert_eq!(o["status"], "merged");
    }
    assert_eq!(
        app.scalar("select count(*) from order_links where kind = 'merge'")
            .await,
        2
    );
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'order.merged'")
            .await,
        1
    );
    assert_books(&app).await;
    app.post(
        &format!("/api/orders/{}/payments", merged["id"].as_str().unwrap()),
        Some(&cashier),
        json!({ "method": "cash" }),
    )
    .await
    .expect(201);
    assert_books(&app).await;
}

#[tokio::test]
async fn an_equal_split_makes_shares_paid_one_by_one() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let order = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "dine_in", "table": "T3", "tip": 1,
                 "lines": [line(&m, "Classic Beef Burger", 3), line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
    let id = order["id"].as_str().unwrap();
    let total = int(&order["total"]);
    let res = split(&app, &cashier, id, json!({ "mode": "equal", "parts": 3 }))
        .await
        .expect(200);
    assert_eq!(res["ended"], json!([]));
    assert_eq!(res["checks"][0]["id"], order["id"]);
    let shares = res["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 3);
    let amounts: Vec<i64> = shares.iter().map(|s| int(&s["amount"])).collect();
    assert_eq!(amounts.iter().sum::<i64>(), total);
    let base = total / 3;
    let extra = (total % 3) as usize;
    for (k, a) in amounts.iter().enumerate() {
        assert_eq!(*a, base + i64::from(k < extra), "the odd halalas go first");
    }
    // The first guest pays their share; the check shows what is left on each.
    app.post(
        &format!("/api/orders/{id}/payments"),
        Some(&cashier),
        json!({ "method": "cash", "amount": amounts[0], "tendered": 20000 }),
    )
    .await
    .expect(201);
    let view = app
        .get(&format!("/api/orders/{id}/check"), &cashier)
        .await
        .expect(200);
    assert_eq!(view["shares"][0]["due"], 0);
    assert_eq!(view["shares"][1]["due"], amounts[1]);
    // One guest left early: what is left in two shares of the whole, re-split.
    let res = split(&app, &cashier, id, json!({ "mode": "equal", "parts": 2 }))
        .await
        .expect(200);
    let two: Vec<i64> = res["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| int(&s["amount"]))
        .collect();
    assert_eq!(two.iter().sum::<i64>(), total);
    assert_eq!(
        res["shares"][1]["due"].as_i64().unwrap() + res["shares"][0]["due"].as_i64().unwrap(),
        total - amounts[0]
    );
    app.post(
        &format!("/api/orders/{id}/payments"),
        Some(&cashier),
        json!({ "method": "cash" }),
    )
    .await
    .expect(201);
    let res = split(&app, &cashier, id, json!({ "mode": "equal", "parts": 2 })).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.code(), "nothing_due");
    // An equal split is not a new order: the books hold one sale and two payments.
    assert_eq!(
        app.scalar("select count(*) from orders").await,
        1,
        "no new orders"
    );
    assert_books(&app).await;
}

#[tokio::test]
async fn checks_that_cannot_be_split_or_merged_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let dubai = app.demo.dubai;
    let owner = app.owner().await;
    let cashier = app.cashier().await;
    let kitchen = app.token(Role::Kitchen).await;
    let m = menu(&app, riyadh).await;
    let md = menu(&app, dubai).await;
    let dine = |m: &Value, branch: Uuid| {
        json!({ "branchId": branch, "type": "dine_in", "table": "T9",
                "lines": [seat(line(m, "Classic Beef Burger", 1), 1), seat(line(m, "Karak Tea", 1), 1)] })
    };
    let open = place(&app, &owner, &key(), &dine(&m, riyadh))
        .await
        .expect(201);
    let open_id = open["id"].as_str().unwrap().to_string();
    let mut paid_body = dine(&m, riyadh);
    paid_body["payment"] = json!({ "method": "cash", "amount": 100 });
    let paid = place(&app, &owner, &key(), &paid_body).await.expect(201);
    let mut takeaway_body = dine(&m, riyadh);
    takeaway_body["type"] = json!("takeaway");
    takeaway_body.as_object_mut().unwrap().remove("table");
    let takeaway = place(&app, &owner, &key(), &takeaway_body)
        .await
        .expect(201);
    let in_kitchen = place(&app, &owner, &key(), &dine(&m, riyadh))
        .await
        .expect(201);
    step(&app, &owner, in_kitchen["id"].as_str().unwrap(), "accepted").await;
    let cancelled = place(&app, &owner, &key(), &dine(&m, riyadh))
        .await
        .expect(201);
    app.post(
        &format!("/api/orders/{}/status", cancelled["id"].as_str().unwrap()),
        Some(&owner),
        json!({ "status": "cancelled", "reason": "left" }),
    )
    .await
    .expect(200);
    let at_dubai = place(&app, &owner, &key(), &dine(&md, dubai))
        .await
        .expect(201);
    let (other_brand, _, _) = app.other_tenant("other-checks").await;

    let tables = "select (select count(*) from orders) + (select count(*) from journal_entries) \
                  + (select count(*) from order_links) + (select count(*) from order_shares) \
                  + (select count(*) from order_status_history)";
    let before = app.scalar(tables).await;
    let line0 = open["lines"][0]["id"].clone();
    let refusals: Vec<(String, Option<&str>, Value, u16, &str)> = vec![
        (
            format!("{}/split", paid["id"].as_str().unwrap()),
            Some(owner.as_str()),
            json!({ "mode": "items", "lines": [paid["lines"][0]["id"]] }),
            409,
            "paid",
        ),
        (
            format!("{}/split", takeaway["id"].as_str().unwrap()),
            Some(owner.as_str()),
            json!({ "mode": "seats" }),
            409,
            "not_at_a_table",
        ),
        (
            format!("{}/split", in_kitchen["id"].as_str().unwrap()),
            Some(owner.as_str()),
            json!({ "mode": "items", "lines": [in_kitchen["lines"][0]["id"]] }),
            409,
            "in_the_kitchen",
        ),
        (
            format!("{}/split", cancelled["id"].as_str().unwrap()),
            Some(owner.as_str()),
            json!({ "mode": "equal", "parts": 2 }),
            409,
            "order_ended",
        ),
        (
            format!("{}/merge", cancelled["id"].as_str().unwrap()),
            Some(owner.as_str()),
            json!({ "orderId": open_id }),
            409,
            "order_ended",
        ),
        (
            format!("{open_id}/merge"),
            Some(owner.as_str()),
            json!({ "orderId": at_dubai["id"] }),
            409,
            "other_branch",
        ),
        (
            format!("{open_id}/merge"),
            Some(owner.as_str()),
            json!({ "orderId": paid["id"] }),
            409,
            "paid",
        ),
        (
            format!("{open_id}/merge"),
            Some(owner.as_str()),
            json!({ "orderId": open_id }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "seats" }),
            409,
            "one_seat",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "items", "lines": [line0, open["lines"][1]["id"]] }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "items", "lines": [paid["lines"][0]["id"]] }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "items", "lines": [line0, line0] }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "items" }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "equal", "parts": 21 }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "equal", "parts": 1 }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "equal" }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(owner.as_str()),
            json!({ "mode": "thirds" }),
            422,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(kitchen.as_str()),
            json!({ "mode": "equal", "parts": 2 }),
            403,
            "",
        ),
        (
            format!("{open_id}/split"),
            Some(other_brand.as_str()),
            json!({ "mode": "equal", "parts": 2 }),
            404,
            "",
        ),
        (
            format!("{open_id}/merge"),
            Some(other_brand.as_str()),
            json!({ "orderId": at_dubai["id"] }),
            404,
            "",
        ),
        (
            format!("{open_id}/split"),
            None,
            json!({ "mode": "equal", "parts": 2 }),
            401,
            "",
        ),
    ];
    for (path, token, body, status, code) in refusals {
        let res = app
            .post(&format!("/api/orders/{path}"), token, body.clone())
            .await;
        assert_eq!(res.status, status, "{path} {body}: {}", res.body);
        if !code.is_empty() {
            assert_eq!(res.code(), code, "{path} {body}");
        }
    }
    // A guest of the table is not staff.
    let guest = app.guest_token(riyadh).await;
    let res = split(
        &app,
        &guest,
        &open_id,
        json!({ "mode": "equal", "parts": 2 }),
    )
    .await;
    assert_eq!(res.status, 403);
    // The refusals wrote nothing; a cashier of the brand may split the same check.
    assert_eq!(app.scalar(tables).await, before);
    split(
        &app,
        &cashier,
        &open_id,
        json!({ "mode": "items", "lines": [line0] }),
    )
    .await
    .expect(200);
    assert_books(&app).await;
}

#[tokio::test]
async fn the_new_routes_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let spec = app
        .call(reqwest::Method::GET, "/api/openapi.json", None, None)
        .await
        .expect(200);
    let paths = spec["paths"].as_object().unwrap();
    for (p, method) in [
        ("/api/orders/{id}/split", "post"),
        ("/api/orders/{id}/merge", "post"),
        ("/api/orders/{id}/check", "get"),
        ("/api/branches/{branch_id}/service-charge", "put"),
        ("/api/branches/{branch_id}/service-charge", "get"),
        ("/api/branches/{branch_id}/settlements", "post"),
        ("/api/branches/{branch_id}/settlements", "get"),
    ] {
        assert!(
            paths.get(p).and_then(|o| o.get(method)).is_some(),
            "{method} {p} missing from the OpenAPI document"
        );
    }
}

/// Orders, payments, voids, splits and merges in a seeded random order at a branch with a
/// service charge: after every step the books balance and reconcile, and splits and merges
/// never change what the live checks add up to.
#[tokio::test]
async fn a_random_evening_of_splits_and_merges_keeps_the_books_exact() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    app.call(
        reqwest::Method::PUT,
        &format!("/api/branches/{riyadh}/service-charge"),
        Some(&owner),
        Some(json!({ "rateBp": 1200 })),
    )
    .await
    .expect(200);
    let m = menu(&app, riyadh).await;
    let names = [
        "Classic Beef Burger",
        "Karak Tea",
        "French Fries",
        "Chicken Shawarma",
        "Pepsi",
    ];
    let live_total = "select coalesce(sum(total), 0)::bigint from orders \
                      where status not in ('cancelled', 'voided', 'split', 'merged')";
    let mut rng = StdRng::seed_from_u64(620_261_125);
    let mut open: Vec<String> = vec![];
    let mut expected: i64 = 0;
    let mut done = [0usize; 4];
    for _ in 0..60 {
        let pick = |rng: &mut StdRng, open: &[String]| open[rng.gen_range(0..open.len())].clone();
        match rng.gen_range(0..12) {
            0..=3 => {
                let lines: Vec<Value> = (0..rng.gen_range(1..5))
                    .map(|_| {
                        let l = line(
                            &m,
                            names[rng.gen_range(0..names.len())],
                            rng.gen_range(1..3),
                        );
                        match rng.gen_range(0..4) {
                            0 => l,
                            s => seat(l, s),
                        }
                    })
                    .collect();
                let mut body = json!({ "branchId": riyadh, "type": "dine_in", "table": "T1",
                                       "lines": lines, "tip": rng.gen_range(0..4) * 37 });
                if rng.gen_bool(0.4) {
                    body["discounts"] =
                        json!([{ "percentBp": rng.gen_range(1..1500), "label": "x" }]);
                }
                let order = place(&app, &owner, &key(), &body).await.expect(201);
                expected += int(&order["total"]);
                open.push(order["id"].as_str().unwrap().to_string());
            }
            4 | 5 if !open.is_empty() => {
                let id = pick(&mut rng, &open);
                let res = split(&app, &owner, &id, json!({ "mode": "seats" })).await;
                match res.status.as_u16() {
                    200 => {
                        open.retain(|o| *o != id);
                        for c in res.body["checks"].as_array().unwrap() {
                            assert_invoice(c);
                            open.push(c["id"].as_str().unwrap().to_string());
                        }
                        done[0] += 1;
                    }
                    409 => assert!(["one_seat", "paid"].contains(&res.code()), "{}", res.body),
                    s => panic!("{s}: {}", res.body),
                }
            }
            6 if !open.is_empty() => {
                let id = pick(&mut rng, &open);
                let order = app
                    .get(&format!("/api/orders/{id}"), &owner)
                    .await
                    .expect(200);
                let lines = order["lines"].as_array().unwrap();
                let chosen: Vec<&Value> = lines
                    .iter()
                    .filter(|_| rng.gen_bool(0.5))
                    .map(|l| &l["id"])
                    .collect();
                let res = split(
                    &app,
                    &owner,
                    &id,
                    json!({ "mode": "items", "lines": chosen }),
                )
                .await;
                match res.status.as_u16() {
                    200 => {
                        open.retain(|o| *o != id);
                        for c in res.body["checks"].as_array().unwrap() {
                            assert_invoice(c);
                            open.push(c["id"].as_str().unwrap().to_string());
                        }
                        done[1] += 1;
                    }
                    409 => assert_eq!(res.code(), "paid", "{}", res.body),
                    422 => assert!(chosen.is_empty() || chosen.len() == lines.len()),
                    s => panic!("{s}: {}", res.body),
                }
            }
            7 if open.len() >= 2 => {
                let a = pick(&mut rng, &open);
                let b = pick(&mut rng, &open);
                let res = app
                    .post(
                        &format!("/api/orders/{a}/merge"),
                        Some(&owner),
                        json!({ "orderId": b }),
                    )
                    .await;
                match res.status.as_u16() {
                    200 => {
                        open.retain(|o| *o != a && *o != b);
                        let c = &res.body["checks"][0];
                        assert_invoice(c);
                        open.push(c["id"].as_str().unwrap().to_string());
                        done[2] += 1;
                    }
                    409 => assert_eq!(res.code(), "paid", "{}", res.body),
                    422 => assert_eq!(a, b),
                    s => panic!("{s}: {}", res.body),
                }
            }
            8 if !open.is_empty() => {
                let id = pick(&mut rng, &open);
                let parts = rng.gen_range(2..6);
                let res = split(
                    &app,
                    &owner,
                    &id,
                    json!({ "mode": "equal", "parts": parts }),
                )
                .await;
                match res.status.as_u16() {
                    200 => {
                        let order = &res.body["checks"][0];
                        let shares = res.body["shares"].as_array().unwrap();
                        assert_eq!(sum(shares, |s| &s["amount"]), int(&order["total"]));
                        assert_eq!(sum(shares, |s| &s["paid"]), int(&order["paid"]));
                        done[3] += 1;
                    }
                    409 => assert_eq!(res.code(), "nothing_due", "{}", res.body),
                    s => panic!("{s}: {}", res.body),
                }
            }
            9 | 10 if !open.is_empty() => {
                let id = pick(&mut rng, &open);
                let _ = app
                    .post(
                        &format!("/api/orders/{id}/payments"),
                        Some(&owner),
                        json!({ "method": "cash", "amount": rng.gen_range(1..3000) }),
                    )
                    .await;
            }
            _ if !open.is_empty() => {
                let id = open.swap_remove(rng.gen_range(0..open.len()));
                let o = app
                    .get(&format!("/api/orders/{id}"), &owner)
                    .await
                    .expect(200);
                app.post(
                    &format!("/api/orders/{id}/status"),
                    Some(&owner),
                    json!({ "status": "voided", "reason": "random", "managerPin": "1111" }),
                )
                .await
                .expect(200);
                expected -= int(&o["total"]);
            }
            _ => {}
        }
        assert_eq!(app.scalar(live_total).await, expected);
        assert_books(&app).await;
    }
    assert!(
        done.iter().all(|n| *n > 0),
        "every kind of split ran: {done:?}"
    );
}
