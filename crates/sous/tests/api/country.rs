//! Each branch's own country: a Dubai order is priced and taxed in AED at 5 % and booked in
//! AED, a Riyadh order in SAR at 15 %; the books and the Z report are per currency; the
//! journal refuses an entry that mixes currencies; receipts follow the branch's country (the
//! ZATCA QR code in Saudi Arabia only, three decimals for the Bahraini dinar); the owner sets a
//! branch's country and tax settings.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, always_open, assert_books, branch_body, id_of, menu, spawn_app};

/// The currencies of an order's journal entries and of the accounts their lines go to.
async fn booked_in(app: &TestApp, order: &Value) -> Vec<String> {
    let mut conn = app.db.owner_conn().await;
    sqlx::query_scalar(
        "select distinct x from (select e.currency as x from journal_entries e \
                                  where e.reference_id = $1 \
                                 union all \
                                 select a.currency from journal_entries e \
                                   join journal_lines l on l.entry_id = e.id \
                                   join ledger_accounts a on a.id = l.account_id \
                                  where e.reference_id = $1) c order by x",
    )
    .bind(id_of(order))
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

/// VAT inside a VAT-inclusive amount at `bp` basis points, to the minor unit.
fn vat_inside(total: i64, bp: i64) -> i64 {
    total - (total * 10_000 + (10_000 + bp) / 2) / (10_000 + bp)
}

#[tokio::test]
async fn a_dubai_order_is_in_aed_at_5_percent_and_a_riyadh_order_in_sar_at_15() {
    let app = spawn_app().await;
    always_open(&app).await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;

    let md = menu(&app, dubai).await;
    assert_eq!(
        (
            &md["currency"],
            &md["minorUnits"],
            &md["vatRateBp"],
            &md["vatInclusive"]
        ),
        (&json!("AED"), &json!(2), &json!(500), &json!(true))
    );
    let mr = menu(&app, riyadh).await;
    assert_eq!(
        (&mr["currency"], &mr["vatRateBp"]),
        (&json!("SAR"), &json!(1500))
    );
    // Dubai's prices are its own, in AED.
    let price = |m: &Value, name: &str| {
        crate::helpers::find_item(m, name).unwrap()["price"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        price(&md, "Classic Beef Burger"),
        catalog::seed::DUBAI_PRICE
    );
    assert_eq!(
        price(&md, "Shakshuka"),
        catalog::seed::dubai_price(price(&mr, "Shakshuka"))
    );

    let at_dubai = app
        .order()
        .branch(dubai)
        .line("Classic Beef Burger", 2)
        .paid_cash(&owner)
        .await;
    assert_eq!(at_dubai["currency"], "AED");
    assert_eq!(at_dubai["totals"]["vatRateBp"], 500);
    let total = at_dubai["total"].as_i64().unwrap();
    assert_eq!(at_dubai["vat"], vat_inside(total, 500));
    assert_eq!(booked_in(&app, &at_dubai).await, ["AED"]);

    let at_riyadh = app
        .order()
        .line("Classic Beef Burger", 2)
        .paid_cash(&owner)
        .await;
    assert_eq!(at_riyadh["currency"], "SAR");
    assert_eq!(at_riyadh["totals"]["vatRateBp"], 1500);
    let total = at_riyadh["total"].as_i64().unwrap();
    assert_eq!(at_riyadh["vat"], vat_inside(total, 1500));
    assert_eq!(booked_in(&app, &at_riyadh).await, ["SAR"]);

    // The brand keeps an AED and a SAR receivable, each balanced on its own.
    assert_eq!(
        app.scalar(
            "select count(distinct currency) from ledger_accounts where code = 'sales_revenue'"
        )
        .await,
        2
    );
    assert_books(&app).await;

    // The Z report: each branch in its currency, the brand's per currency.
    let day = at_dubai["businessDate"].as_str().unwrap();
    let z = app
        .get(
            &format!("/api/branches/{dubai}/reports/z?date={day}"),
            &owner,
        )
        .await
        .expect(200);
    assert_eq!(
        (&z["currency"], &z["minorUnits"]),
        (&json!("AED"), &json!(2))
    );
    assert_eq!(z["total"], at_dubai["total"]);
    assert_eq!(z["vat"], at_dubai["vat"]);
    let brand = app
        .get(&format!("/api/reports/z?date={day}"), &owner)
        .await
        .expect(200);
    let per: Vec<(String, i64, i64)> = brand["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["currency"].as_str().unwrap().to_string(),
                c["total"].as_i64().unwrap(),
                c["vat"].as_i64().unwrap(),
            )
        })
        .collect();
    let figures = |o: &Value| (o["total"].as_i64().unwrap(), o["vat"].as_i64().unwrap());
    let (dt, dv) = figures(&at_dubai);
    let (rt, rv) = figures(&at_riyadh);
    assert_eq!(per, [("AED".into(), dt, dv), ("SAR".into(), rt, rv)]);
    let manager = app.manager().await;
    assert_eq!(
        app.get(&format!("/api/reports/z?date={day}"), &manager)
            .await
            .status,
        403,
        "a manager of one branch does not see the brand's report"
    );

    // Receipts: the ZATCA QR code in Riyadh only.
    let receipt = |o: &Value| format!("/api/orders/{}/receipt", o["id"].as_str().unwrap());
    let r = app.get(&receipt(&at_dubai), &owner).await.expect(200);
    assert_eq!(
        (&r["currency"], &r["minorUnits"]),
        (&json!("AED"), &json!(2))
    );
    assert_eq!(r["vatRateBp"], 500);
    assert!(r["qrPayload"].is_null(), "{r}");
    let r = app.get(&receipt(&at_riyadh), &owner).await.expect(200);
    assert!(r["qrPayload"].is_string(), "{r}");
}

/// The statement fails on the journal's balance check, writing nothing.
async fn refused(app: &TestApp, sql: String) {
    let mut conn = app.db.owner_conn().await;
    let err = sqlx::query(&sql).execute(&mut conn).await.unwrap_err();
    let db = err.as_database_error().expect("a database error");
    assert_eq!(db.code().as_deref(), Some("23514"), "{db}");
    assert_eq!(db.constraint(), Some("journal_entry_balanced"), "{db}");
}

#[tokio::test]
async fn the_journal_refuses_an_entry_that_mixes_currencies() {
    let app = spawn_app().await;
    always_open(&app).await;
    let owner = app.owner().await;
    for branch in [app.demo.riyadh, app.demo.dubai] {
        app.order()
            .branch(branch)
            .line("Classic Beef Burger", 1)
            .paid_cash(&owner)
            .await;
    }
    let mut conn = app.db.owner_conn().await;
    let account = |currency: &'static str| {
        format!(
            "(select id from ledger_accounts where code = 'cash_drawer' and currency = '{currency}')"
        )
    };
    let post = |currency: &str, lines: &[(String, i64)]| {
        let values: Vec<String> = lines
            .iter()
            .map(|(a, n)| format!("(t.tenant_id, e.id, {a}, {n})"))
            .collect();
        format!(
            "with t as (select tenant_id, branch_id from journal_entries limit 1), \
             e as (insert into journal_entries (id, tenant_id, branch_id, kind, reference_type, \
                                                reference_id, currency) \
                   select gen_random_uuid(), tenant_id, branch_id, 'cash_in', 'test', \
                          gen_random_uuid(), '{currency}' from t returning id) \
             insert into journal_lines (tenant_id, entry_id, account_id, amount) \
             select v.* from t, e, lateral (values {}) v",
            values.join(", ")
        )
    };
    // SAR 1.00 against AED 1.00: zero as numbers, but two currencies.
    refused(
        &app,
        post("SAR", &[(account("SAR"), 100), (account("AED"), -100)]),
    )
    .await;
    // Both lines AED in an entry that says SAR.
    refused(
        &app,
        post("SAR", &[(account("AED"), 100), (account("AED"), -100)]),
    )
    .await;
    // One currency, not balanced.
    refused(
        &app,
        post("AED", &[(account("AED"), 100), (account("AED"), -99)]),
    )
    .await;
    // One currency, balanced: written.
    sqlx::query(&post(
        "AED",
        &[(account("AED"), 100), (account("AED"), -100)],
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_books(&app).await;
}

#[tokio::test]
async fn the_owner_sets_a_branch_country_and_tax_settings() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let manager = app.manager().await;
    let riyadh = app.demo.riyadh;
    let manama = id_of(
        &app.post("/api/branches", Some(&owner), branch_body("Manama"))
            .await
            .expect(201),
    );
    let path = |b: Uuid| format!("/api/branches/{b}/country");
    // A new branch starts as the brand's branches do.
    let before = app.get(&path(manama), &owner).await.expect(200);
    assert_eq!(
        (
            &before["country"],
            &before["currency"],
            &before["vatRateBp"]
        ),
        (&json!("SA"), &json!("SAR"), &json!(1500))
    );
    let countries = app.get("/api/countries", &owner).await.expect(200);
    assert_eq!(countries.as_array().unwrap().len(), 6);

    let (other, _, _) = app.other_tenant("other-country").await;
    let audits = "select count(*) from audit_log where action = 'branch.country_set'";
    for (token, body, status) in [
        (&manager, json!({ "country": "BH" }), 403),
        (&other, json!({ "country": "BH" }), 404),
        (&owner, json!({ "country": "XX" }), 422),
        (&owner, json!({ "country": "bh" }), 422),
        (&owner, json!({ "country": "BH", "currency": "XYZ" }), 422),
        (&owner, json!({ "country": "BH", "vatRateBp": 10_001 }), 422),
        (
            &owner,
            json!({ "country": "BH", "vatNumber": "200000000000003" }),
            422,
        ),
        (&owner, json!({ "country": "BH", "colour": "red" }), 422),
    ] {
        let res = app.put(&path(manama), token, body.clone()).await;
        assert_eq!(res.status, status, "{body}: {}", res.body);
    }
    assert_eq!(app.scalar(audits).await, 0);

    let set = app
        .put(
            &path(manama),
            &owner,
            json!({ "country": "BH", "legalName": "Sous Bahrain W.L.L.",
                    "legalNameAr": "سو البحرين ذ.م.م", "vatNumber": "200000000000003" }),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            &set["currency"],
            &set["minorUnits"],
            &set["vatRateBp"],
            &set["eInvoicing"]
        ),
        (&json!("BHD"), &json!(3), &json!(1000), &Value::Null)
    );
    assert_eq!(app.scalar(audits).await, 1);
    let branch = app
        .get(&format!("/api/branches/{manama}"), &owner)
        .await
        .expect(200);
    assert_eq!(
        (
            &branch["country"],
            &branch["currency"],
            &branch["minorUnits"]
        ),
        (&json!("BH"), &json!("BHD"), &json!(3))
    );

    // The branch's menu is in BHD now; its orders too, with three decimals on the receipt from
    // the branch's own legal entity, and no ZATCA QR code.
    always_open(&app).await;
    let m = menu(&app, manama).await;
    assert_eq!(
        (&m["currency"], &m["minorUnits"]),
        (&json!("BHD"), &json!(3))
    );
    let order = app
        .order()
        .branch(manama)
        .line("Classic Beef Burger", 1)
        .paid_cash(&owner)
        .await;
    assert_eq!(order["currency"], "BHD");
    assert_eq!(order["totals"]["vatRateBp"], 1000);
    let id = order["id"].as_str().unwrap();
    let r = app
        .get(&format!("/api/orders/{id}/receipt"), &owner)
        .await
        .expect(200);
    assert_eq!(r["sellerName"], "Sous Bahrain W.L.L.");
    assert_eq!(r["vatNumber"], "200000000000003");
    assert!(r["qrPayload"].is_null());
    let html = app
        .client
        .get(format!("{}/api/orders/{id}/receipt.html", app.base))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let total = order["total"].as_i64().unwrap();
    let three = format!("{}.{:03}", total / 1000, total % 1000);
    assert!(html.contains(&three), "{three} not in {html}");
    assert!(html.contains("BHD"));
    assert_books(&app).await;

    // A branch that has taken money keeps its currency; its VAT may still change.
    let res = app
        .put(&path(manama), &owner, json!({ "country": "AE" }))
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.code(), "branch_currency_in_use");
    let kept = app
        .put(
            &path(riyadh),
            &owner,
            json!({ "country": "SA", "vatRateBp": 500 }),
        )
        .await
        .expect(200);
    assert_eq!(
        (&kept["currency"], &kept["vatRateBp"]),
        (&json!("SAR"), &json!(500))
    );
    assert_eq!(menu(&app, riyadh).await["vatRateBp"], 500);
}
