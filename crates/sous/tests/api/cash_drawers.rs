//! A till's cash drawer: opened with a float by a device, cash sales, refunds and movements in
//! and out, the count at closing with what is over or short, and the day's Z report for
//! managers.

use serde_json::json;

use crate::helpers::{assert_books, key, line, menu, place, spawn_app};

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
