//! Guest sessions are anonymous and free, so what they may order is bounded: a dine-in order's
//! table comes from the QR code that started the session (never from the request), a website
//! guest orders for pickup or delivery, and a session places a bounded number of orders — also
//! when it sends them all at once.

use platform::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{key, line, menu, place, spawn_app};

#[tokio::test]
async fn only_a_tables_qr_code_makes_a_dine_in_guest() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let order = |kind: &str, table: Option<&str>| -> Value {
        json!({ "branchId": riyadh, "type": kind, "table": table,
                "lines": [line(&m, "Karak Tea", 1)] })
    };

    // The website's session names no table and cannot claim one.
    let res = app
        .post(
            "/api/auth/guest",
            None,
            json!({ "tenant": "demo", "branchId": riyadh, "tableRef": "T4" }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let website = app.website_guest_token(riyadh).await;
    for table in [Some("T4"), None] {
        let res = place(&app, &website, &key(), &order("dine_in", table)).await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.body["errors"]["type"].is_array(), "{}", res.body);
    }
    place(&app, &website, &key(), &order("pickup", None))
        .await
        .expect(201);
    // Nor does a customer's order straight to a table.
    let customer = app.token(Role::Customer).await;
    let res = place(&app, &customer, &key(), &order("dine_in", Some("T4"))).await;
    assert_eq!(res.status, 422, "{}", res.body);

    // A guest who scanned T1 orders at T1, and only there.
    let at_t1 = app.guest_token(riyadh).await;
    let res = place(&app, &at_t1, &key(), &order("dine_in", Some("T4"))).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body["errors"]["table"].is_array(), "{}", res.body);
    let placed = place(&app, &at_t1, &key(), &order("dine_in", None))
        .await
        .expect(201);
    assert_eq!(placed["table"], "T1", "{placed}");
    place(&app, &at_t1, &key(), &order("dine_in", Some("T1")))
        .await
        .expect(201);
    assert_eq!(
        app.scalar("select count(*) from orders where table_ref = 'T4'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_guest_session_places_at_most_ten_orders_even_at_once() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let guest = app.guest_token(riyadh).await;
    let body = json!({ "branchId": riyadh, "type": "dine_in",
                       "lines": [line(&m, "Karak Tea", 1)] });
    let answers = futures::future::join_all((0..12).map(|_| {
        let (app, guest, body) = (&app, &guest, &body);
        async move { place(app, guest, &key(), body).await }
    }))
    .await;
    let ok = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        ok,
        10,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (refused.status.as_u16(), refused.code()),
            (422, "guest_order_limit"),
            "{}",
            refused.body
        );
    }
    assert_eq!(app.scalar("select count(*) from orders").await, 10);
    // Another guest at the table orders on their own session.
    let other = app.guest_token(riyadh).await;
    place(&app, &other, &key(), &body).await.expect(201);
}
