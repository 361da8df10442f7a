//! Online payments through the simulated provider: a guest opens a hosted session, answers the
//! simulator's test page, and its signed webhook books the payment once — redeliveries change
//! nothing; forged, stale and replayed deliveries are refused; a lost webhook is found by asking
//! the provider; a decline books nothing; refunds go back through the provider.

use chrono::Utc;
use payments::provider::{PageOutcome, online_store::StoredSimulatedOnlineProvider, webhook};
use serde_json::{Value, json};

use crate::helpers::{
    Res, TestApp, assert_books, key, line, menu, place, settings, spawn_app_with,
};

const SECRET: &str = "whsec_test_secret";

async fn app() -> TestApp {
    let mut s = settings();
    s.payments.webhook_secret = Some(SECRET.into());
    spawn_app_with(s).await
}

async fn guest_order(app: &TestApp, guest: &str) -> Value {
    let m = menu(app, app.demo.riyadh).await;
    let body = json!({ "branchId": app.demo.riyadh, "type": "dine_in", "table": "T1",
                       "lines": [line(&m, "Chicken Shawarma", 2)] });
    let order = place(app, guest, &key(), &body).await.expect(201);
    let total = order["total"].as_i64().unwrap();
    assert!(
        !(51..=53).contains(&(total % 100)),
        "the simulator would not approve {total}"
    );
    order
}

async fn deliver(app: &TestApp, body: &[u8], signature: &str) -> Res {
    let res = app
        .client
        .post(format!("{}/api/payments/webhooks/simulator", app.base))
        .header("content-type", "application/json")
        .header(webhook::SIGNATURE_HEADER, signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Res {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

#[tokio::test]
async fn an_online_payment_goes_from_the_test_page_to_the_books_once() {
    let app = app().await;
    let guest = app.guest_token(app.demo.riyadh).await;
    let order = guest_order(&app, &guest).await;
    let id = order["id"].as_str().unwrap();
    let total = order["total"].as_i64().unwrap();

    let session = app
        .open_payment_session(&guest, id, json!({}))
        .await
        .expect(201);
    assert_eq!(session["status"], "pending");
    assert_eq!(session["amount"], total);
    assert_eq!(session["returnUrl"], format!("/orders/{id}"));
    let redirect = session["redirectUrl"].as_str().unwrap();
    let session_id = session["sessionId"].as_str().unwrap();
    assert_eq!(
        redirect,
        format!("/api/payments/simulator/pay/{session_id}")
    );

    // The test page: clearly a simulator, three buttons, nowhere to type a card.
    let page = app
        .client
        .get(format!("{}{redirect}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>SIMULATOR"));
    for outcome in ["approve", "decline", "timeout"] {
        assert!(html.contains(&format!("value=\"{outcome}\"")), "{outcome}");
    }
    assert_eq!(
        html.matches("<input").count(),
        1,
        "only the hidden session id"
    );

    let (status, location) = app.answer_simulator_page(session_id, "approve").await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/orders/{id}"));
    let paid = app
        .get(&format!("/api/orders/{id}"), &guest)
        .await
        .expect(200);
    assert_eq!(paid["paid"], total);
    assert_eq!(paid["due"], 0);
    assert_eq!(paid["payments"][0]["method"], "online");
    let polled = app
        .get(
            &format!("/api/payment-sessions/{}", session["id"].as_str().unwrap()),
            &guest,
        )
        .await
        .expect(200);
    assert_eq!(polled["status"], "succeeded");
    let online_entries =
        "select count(*) from journal_entries where kind = 'payment' and memo = 'online'";
    assert_eq!(app.scalar(online_entries).await, 1);
    assert_books(&app).await;

    // The provider re-sends the event a little later, signed afresh: answered, nothing booked
    // again.
    let provider = StoredSimulatedOnlineProvider::new(app.state.db.pool.clone(), SECRET.into(), "");
    let again = provider
        .complete(
            session_id,
            PageOutcome::Approve,
            Utc::now() + chrono::Duration::seconds(5),
        )
        .await
        .unwrap();
    let signature = webhook::find_header(&again.headers, webhook::SIGNATURE_HEADER).unwrap();
    let res = deliver(&app, &again.body, signature).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["duplicate"], true);
    // The very same delivery replayed: refused.
    let res = deliver(&app, &again.body, signature).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.code(), "webhook_replayed");
    // Forged: signed with another secret.
    let now = Utc::now().timestamp();
    let forged = webhook::sign(b"not the secret", now, &again.body);
    let res = deliver(&app, &again.body, &forged).await;
    assert_eq!(res.status, 401, "{}", res.body);
    assert_eq!(res.code(), "webhook_signature_invalid");
    // Altered body under a valid signature.
    let mut altered = again.body.clone();
    let text = String::from_utf8(altered.clone()).unwrap();
    altered = text.replacen(&total.to_string(), "1", 1).into_bytes();
    let res = deliver(&app, &altered, signature).await;
    assert_eq!(res.status, 401, "{}", res.body);
    // Stale: correctly signed ten minutes ago.
    let stale = webhook::sign(SECRET.as_bytes(), now - 600, &again.body);
    let res = deliver(&app, &again.body, &stale).await;
    assert_eq!(res.status, 401, "{}", res.body);
    assert_eq!(res.code(), "webhook_timestamp_out_of_tolerance");
    // No signature at all.
    let res = app
        .client
        .post(format!("{}/api/payments/webhooks/simulator", app.base))
        .body(again.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(app.scalar(online_entries).await, 1, "booked once");
    assert_eq!(
        app.get(&format!("/api/orders/{id}"), &guest)
            .await
            .expect(200)["paid"],
        total
    );

    // Nothing is due now.
    let res = app.open_payment_session(&guest, id, json!({})).await;
    assert_eq!(res.status, 409, "{}", res.body);

    // A refund goes back through the provider.
    let manager = app.manager().await;
    let refunded = app
        .post(
            &format!("/api/orders/{id}/refunds"),
            Some(&manager),
            json!({ "paymentId": paid["payments"][0]["id"], "amount": 700, "reason": "cold" }),
        )
        .await
        .expect(201);
    assert_eq!(refunded["refunded"], 700);
    assert_eq!(
        app.scalar("select refunded from simulator_online_sessions")
            .await,
        700
    );
    assert_books(&app).await;
}

#[tokio::test]
async fn a_lost_webhook_is_found_by_asking_and_a_decline_books_nothing() {
    let app = app().await;
    let guest = app.guest_token(app.demo.riyadh).await;

    // Bad return addresses and someone else's order are refused.
    let order = guest_order(&app, &guest).await;
    let id = order["id"].as_str().unwrap();
    for bad in ["https://evil.example/", "//evil.example/x", "orders"] {
        let res = app
            .open_payment_session(&guest, id, json!({ "returnUrl": bad }))
            .await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
    }
    let stranger = app.guest_token(app.demo.riyadh).await;
    let res = app.open_payment_session(&stranger, id, json!({})).await;
    assert_eq!(res.status, 404, "{}", res.body);

    // Paid, but the webhook was lost: the status poll asks the provider and books it.
    let session = app
        .open_payment_session(&guest, id, json!({ "returnUrl": "/thanks" }))
        .await
        .expect(201);
    let (status, location) = app
        .answer_simulator_page(session["sessionId"].as_str().unwrap(), "timeout")
        .await;
    assert_eq!((status, location.as_str()), (303, "/thanks"));
    assert_eq!(
        app.get(&format!("/api/orders/{id}"), &guest)
            .await
            .expect(200)["paid"],
        0
    );
    let sid = session["id"].as_str().unwrap();
    let polled = app
        .get(&format!("/api/payment-sessions/{sid}"), &guest)
        .await
        .expect(200);
    assert_eq!(polled["status"], "succeeded");
    assert_eq!(
        app.get(&format!("/api/orders/{id}"), &guest)
            .await
            .expect(200)["paid"],
        order["total"]
    );
    assert_eq!(
        app.get(&format!("/api/payment-sessions/{sid}"), &stranger)
            .await
            .status,
        404
    );

    // Declined on the page: nothing booked.
    let other = guest_order(&app, &guest).await;
    let oid = other["id"].as_str().unwrap();
    let entries = app.scalar("select count(*) from journal_entries").await;
    let session = app
        .open_payment_session(&guest, oid, json!({}))
        .await
        .expect(201);
    let (status, _) = app
        .answer_simulator_page(session["sessionId"].as_str().unwrap(), "decline")
        .await;
    assert_eq!(status, 303);
    let polled = app
        .get(
            &format!("/api/payment-sessions/{}", session["id"].as_str().unwrap()),
            &guest,
        )
        .await
        .expect(200);
    assert_eq!(polled["status"], "declined");
    assert_eq!(polled["declineCode"], "card_declined");
    assert_eq!(
        app.scalar("select count(*) from journal_entries").await,
        entries
    );
    assert_eq!(
        app.get(&format!("/api/orders/{oid}"), &guest)
            .await
            .expect(200)["paid"],
        0
    );
    // A second answer to a settled session is refused.
    let (status, _) = app
        .answer_simulator_page(session["sessionId"].as_str().unwrap(), "approve")
        .await;
    assert_eq!(status, 409);
    assert_books(&app).await;
}
