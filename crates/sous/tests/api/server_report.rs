//! The shift summary per server: what each member of staff placed and took on a business day,
//! everyone's for a manager and only their own for anyone else.

use serde_json::Value;

use crate::helpers::spawn_app;

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {report}"))
}

#[tokio::test]
async fn each_server_sees_what_they_sold_and_the_cash_they_owe() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.till(riyadh, "3333").await.token;
    let manager = app.till(riyadh, "2222").await.token;

    // The cashier sells two orders for cash; the manager sells one and takes it by card.
    let first = app.order().line("Karak Tea", 2).paid_cash(&cashier).await;
    let second = app
        .order()
        .line("Classic Beef Burger", 1)
        .paid_cash(&cashier)
        .await;
    let third = app.order().line("Fattoush", 1).placed(&manager).await;
    let third_total = third["total"].as_i64().unwrap();
    app.pay_card(&manager, third["id"].as_str().unwrap(), third_total)
        .await;
    // A cancelled order is no sale.
    let cancelled = app.order().line("Hummus", 1).placed_id(&cashier).await;
    app.post(
        &format!("/api/orders/{cancelled}/status"),
        Some(&cashier),
        serde_json::json!({ "status": "cancelled", "reason": "guest left" }),
    )
    .await
    .expect(200);

    let day = first["businessDate"].as_str().unwrap();
    let path = format!("/api/branches/{riyadh}/reports/servers?date={day}");
    let report = app.get(&path, &manager).await.expect(200);
    let cashier_sold = first["total"].as_i64().unwrap() + second["total"].as_i64().unwrap();
    let c = row(&report, "Demo Cashier");
    assert_eq!(c["orders"], 2);
    assert_eq!(c["sales"], cashier_sold);
    assert_eq!(
        c["cashTaken"], cashier_sold,
        "the cash the cashier hands in"
    );
    assert_eq!(c["cardTaken"], 0);
    let m = row(&report, "Demo Manager");
    assert_eq!(m["orders"], 1);
    assert_eq!(m["cardTaken"], third_total);
    assert_eq!(m["cashTaken"], 0);

    // A refund of cash comes off what the cashier owes.
    app.refund(&cashier, &first, &first["payments"][0], 100, None)
        .await
        .expect(201);
    let after = app.get(&path, &manager).await.expect(200);
    assert_eq!(row(&after, "Demo Cashier")["cashTaken"], cashier_sold - 100);

    // The cashier sees their own row only; another day has nothing.
    let own = app.get(&path, &cashier).await.expect(200);
    assert_eq!(own["servers"].as_array().unwrap().len(), 1);
    assert_eq!(own["servers"][0]["name"], "Demo Cashier");
    let empty = app
        .get(
            &format!("/api/branches/{riyadh}/reports/servers?date=2020-01-01"),
            &manager,
        )
        .await
        .expect(200);
    assert_eq!(empty["servers"], serde_json::json!([]));

    // Another branch's manager scope, and a bad date, are refused.
    let dubai = app.demo.dubai;
    let res = app
        .get(
            &format!("/api/branches/{dubai}/reports/servers?date={day}"),
            &cashier,
        )
        .await;
    assert_eq!(res.status, 403);
    let res = app
        .get(
            &format!("/api/branches/{riyadh}/reports/servers?date=yesterday"),
            &manager,
        )
        .await;
    assert_eq!(res.status, 400);
}
