//! A branch's service charge: set by its managers, charged at checkout on the order types it
//! names, taxed, booked to `service_charge_revenue`, printed on the receipt and carried exactly
//! through a split.

use ledger::{self, Account};
use platform::{auth::Role, db::TenantScope};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, assert_books, int, key, line, menu, place, spawn_app};

fn charge_path(branch: Uuid) -> String {
    format!("/api/branches/{branch}/service-charge")
}

async fn balance(app: &TestApp, account: Account) -> i64 {
    let mut tx = app
        .state
        .db
        .begin(TenantScope::tenant(app.demo.tenant_id))
        .await
        .unwrap();
    let b = ledger::balance(&mut tx, account, None, "SAR")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    b
}

#[tokio::test]
async fn a_branch_service_charge_is_charged_on_dine_in_and_booked() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;
    let cashier = app.cashier().await;
    let waiter = app.token(Role::Waiter).await;

    // Only managers set it, within 0–30 %, each order type once; another brand cannot see it.
    for (token, body, status) in [
        (&cashier, json!({ "rateBp": 1000 }), 403),
        (&owner, json!({ "rateBp": 3001 }), 422),
        (&owner, json!({ "rateBp": 1000, "orderTypes": [] }), 422),
        (
            &owner,
            json!({ "rateBp": 1000, "orderTypes": ["dine_in", "dine_in"] }),
            422,
        ),
        (
            &owner,
            json!({ "rateBp": 1000, "orderTypes": ["table"] }),
            422,
        ),
        (&owner, json!({ "rateBp": -1 }), 422),
    ] {
        let res = app.put(&charge_path(riyadh), token, body.clone()).await;
        assert_eq!(res.status, status, "{body}: {}", res.body);
    }
    let (other, _, _) = app.other_tenant("other-service").await;
    assert_eq!(
        app.put(&charge_path(riyadh), &other, json!({ "rateBp": 1000 }))
            .await
            .status,
        404
    );
    assert_eq!(
        app.scalar("select count(*) from branch_service_charges")
            .await,
        0,
        "refusals write nothing"
    );
    let set = app
        .put(&charge_path(riyadh), &owner, json!({ "rateBp": 1000 }))
        .await
        .expect(200);
    assert_eq!(set, json!({ "rateBp": 1000, "orderTypes": ["dine_in"] }));
    let got = app.get(&charge_path(riyadh), &waiter).await.expect(200);
    assert_eq!(got, set);
    let none = app
        .get(&format!("/api/branches/{dubai}/service-charge"), &owner)
        .await
        .expect(200);
    assert_eq!(none["rateBp"], 0);
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'branch.service_charge_updated'")
            .await,
        1
    );

    // A dine-in check: 10 % of the items after the discount, taxed with them; the tip is not.
    let m = menu(&app, riyadh).await;
    let order = place(
        &app,
        &waiter,
        &key(),
        &json!({ "branchId": riyadh, "type": "dine_in", "table": "T4", "tip": 500,
                 "lines": [line(&m, "Classic Beef Burger", 2), line(&m, "Karak Tea", 3),
                           line(&m, "French Fries", 1)],
                 "discounts": [{ "percentBp": 500, "label": "Friends" }] }),
    )
    .await
    .expect(201);
    let t = &order["totals"];
    let items_net = int(&t["itemsNet"]);
    let charge = (items_net * 1000 * 2 + 10000) / 20000;
    assert!(charge > 0);
    assert_eq!(int(&t["serviceCharge"]), charge);
    let taxable = items_net + charge;
    assert_eq!(int(&t["taxable"]), taxable);
    assert_eq!(int(&t["vat"]), (taxable * 1500 * 2 + 11500) / 23000);
    assert_eq!(int(&order["total"]), taxable + 500);
    let line_vat: i64 = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| int(&l["vat"]))
        .sum();
    assert!(int(&t["serviceChargeVat"]) > 0);
    assert_eq!(line_vat + int(&t["serviceChargeVat"]), int(&t["vat"]));
    // In the books: the service charge without its VAT.
    assert_eq!(
        balance(&app, Account::ServiceChargeRevenue).await,
        -(charge - int(&t["serviceChargeVat"]))
    );
    let id = order["id"].as_str().unwrap();
    let receipt = app
        .get(&format!("/api/orders/{id}/receipt"), &waiter)
        .await
        .expect(200);
    assert_eq!(receipt["serviceCharge"], charge);
    assert_books(&app).await;

    // Takeaway is not charged, nor is Dubai.
    let takeaway = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway", "lines": [line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
    assert_eq!(takeaway["totals"]["serviceCharge"], 0);
    let md = menu(&app, dubai).await;
    let at_dubai = place(
        &app,
        &owner,
        &key(),
        &json!({ "branchId": dubai, "type": "dine_in", "lines": [line(&md, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
    assert_eq!(at_dubai["totals"]["serviceCharge"], 0);

    // The branch charges takeaway too from now on; orders already placed keep theirs.
    app.put(
        &charge_path(riyadh),
        &owner,
        json!({ "rateBp": 1250, "orderTypes": ["takeaway", "dine_in"] }),
    )
    .await
    .expect(200);
    let takeaway = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway", "lines": [line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
    let net = int(&takeaway["totals"]["itemsNet"]);
    assert_eq!(
        int(&takeaway["totals"]["serviceCharge"]),
        (net * 1250 * 2 + 10000) / 20000
    );
    let again = app
        .get(&format!("/api/orders/{id}"), &waiter)
        .await
        .expect(200);
    assert_eq!(int(&again["totals"]["serviceCharge"]), charge);

    // Split by item: the new checks' service charges add up to the old one exactly.
    let lines = order["lines"].as_array().unwrap();
    let res = app
        .post(
            &format!("/api/orders/{id}/split"),
            Some(&waiter),
            json!({ "mode": "items", "lines": [lines[1]["id"]] }),
        )
        .await
        .expect(200);
    let checks = res["checks"].as_array().unwrap();
    let sum = |k: &str| -> i64 { checks.iter().map(|c| int(&c["totals"][k])).sum() };
    assert_eq!(sum("serviceCharge"), charge);
    assert_eq!(sum("total"), int(&order["total"]));
    assert_eq!(sum("tip"), 500);
    assert_books(&app).await;
}
