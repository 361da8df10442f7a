//! Card data never touches sous: requests carrying a card number are refused, and after a run
//! of orders, payments and refunds no table and no log line holds anything that looks like one.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use platform::card_data::contains_card_number;
use serde_json::json;

use crate::helpers::{key, line, menu, place, spawn_app};

/// Log output kept in memory, to be searched afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn card_numbers_are_refused_and_never_stored_or_logged() {
    // Every log line of this test process, at debug level, goes to memory.
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;

    for pan in [
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
        "378282246310005",
    ] {
        let mut tea = line(&m, "Karak Tea", 1);
        tea["notes"] = json!(format!("card {pan}"));
        let body = json!({ "branchId": riyadh, "type": "takeaway", "lines": [tea] });
        let res = place(&app, &cashier, &key(), &body).await;
        assert_eq!(res.status, 422, "{pan}: {}", res.body);
        let body = json!({ "branchId": riyadh, "type": "takeaway", "notes": pan,
                           "lines": [line(&m, "Karak Tea", 1)] });
        assert_eq!(place(&app, &cashier, &key(), &body).await.status, 422);
    }
    let res = app
        .get(
            &format!("/api/orders?branchId={riyadh}&card=4111111111111111"),
            &cashier,
        )
        .await;
    assert_eq!(
        res.status, 422,
        "a card number in the query string is refused too"
    );

    // Ordinary trading next to it.
    let order = place(&app, &cashier, &key(), &json!({ "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Classic Beef Burger", 1)], "payment": { "method": "cash", "tendered": 10000 } }))
        .await
        .expect(201);
    let id = order["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/orders/{id}/refunds"),
            Some(&cashier),
            json!({ "paymentId": order["payments"][0]["id"], "amount": 100,
                      "reason": "refund to 4111-1111-1111-1111" }),
        )
        .await;
    assert_eq!(res.status, 422, "not even in a refund reason");
    app.post(
        &format!("/api/orders/{id}/refunds"),
        Some(&cashier),
        json!({ "paymentId": order["payments"][0]["id"], "amount": 100, "reason": "cold" }),
    )
    .await
    .expect(201);
    // A card tender on the terminal and a refund back to the card: only a reference, the brand
    // and the last four digits come back.
    let unpaid = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Classic Beef Burger", 1)] }),
    )
    .await
    .expect(201);
    let unpaid_id = unpaid["id"].as_str().unwrap();
    let res = app
        .client
        .post(format!("{}/api/orders/{unpaid_id}/payments", app.base))
        .bearer_auth(&cashier)
        .header("idempotency-key", key())
        .json(&json!({ "method": "card", "terminalId": "counter-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let carded: serde_json::Value = res.json().await.unwrap();
    assert_eq!(carded["payments"][0]["method"], "card");
    app.post(
        &format!("/api/orders/{unpaid_id}/refunds"),
        Some(&cashier),
        json!({ "paymentId": carded["payments"][0]["id"], "amount": 100, "reason": "cold" }),
    )
    .await
    .expect(201);
    assert_eq!(
        app.get(&format!("/api/orders/{id}/receipt"), &cashier)
            .await
            .status,
        200
    );

    // Every row of every table, as JSON text (but the migration ledger, whose 14-digit version
    // numbers are dates, not cards).
    let mut owner = app.db.owner_conn().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = 'public' and c.relkind in ('r', 'p') \
           and c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut owner)
    .await
    .unwrap();
    assert!(tables.len() > 30);
    for t in &tables {
        let text: String = sqlx::query_scalar(&format!(
            "select coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') from {t} t"
        ))
        .fetch_one(&mut owner)
        .await
        .unwrap();
        assert!(
            !contains_card_number(&text),
            "{t} holds something like a card number"
        );
    }
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("refused a request carrying card data"),
        "the refusals were logged"
    );
    assert!(
        !contains_card_number(&logged),
        "a card number reached the logs"
    );
}
