//! The receipt: a bilingual simplified tax invoice with the ZATCA QR code, as JSON and as HTML,
//! found only by those who may see the order; and the VAT number on it, set by the owner.

use serde_json::{Value, json};

use crate::helpers::{key, line, menu, place, spawn_app};

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
