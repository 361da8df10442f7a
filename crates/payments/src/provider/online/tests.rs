use super::*;
use crate::provider::webhook::find_header;

const SECRET: &[u8] = b"whsec_online_test";

fn provider() -> SimulatedOnlineProvider {
    SimulatedOnlineProvider::new(SECRET, "https://sous.test/pay/sim/")
}

fn request(amount: i64) -> SessionRequest {
    SessionRequest {
        amount,
        currency: "SAR".into(),
        reference: Uuid::now_v7(),
        return_url: "https://sous.test/orders/42".into(),
    }
}

fn verify(provider: &SimulatedOnlineProvider, delivery: &WebhookDelivery) -> VerifiedWebhook {
    let signature = find_header(&delivery.headers, provider.signature_header());
    provider
        .verify_webhook(signature, &delivery.body, Utc::now())
        .unwrap()
}

#[tokio::test]
async fn paying_on_the_page_produces_a_verifiable_success_webhook() {
    let provider = provider();
    let req = request(4500);
    let session = provider.create_session(req.clone()).await.unwrap();
    assert_eq!(
        session.redirect_url,
        format!("https://sous.test/pay/sim/{}", session.session_id)
    );
    let pending = provider.status(req.reference).await.unwrap().unwrap();
    assert_eq!(pending.state, OnlinePaymentState::Pending);
    assert_eq!(pending.provider_ref, None);

    let delivery = provider
        .complete(&session.session_id, PageOutcome::Approve)
        .unwrap();
    assert_eq!(
        find_header(&delivery.headers, "content-type"),
        Some("application/json")
    );
    let verified = verify(&provider, &delivery);
    let event = verified.event;
    assert_eq!(event.kind, WebhookEventType::PaymentSucceeded);
    assert_eq!(event.session_id, session.session_id);
    assert_eq!(event.reference, req.reference);
    assert_eq!(event.amount, 4500);

    let json: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    for field in [
        "type",
        "sessionId",
        "reference",
        "amount",
        "providerRef",
        "occurredAt",
    ] {
        assert!(json.get(field).is_some(), "{field} missing from {json}");
    }

    let paid = provider.status(req.reference).await.unwrap().unwrap();
    assert_eq!(paid.state, OnlinePaymentState::Succeeded);
    assert_eq!(
        paid.provider_ref.as_deref(),
        Some(event.provider_ref.as_str())
    );
}

#[tokio::test]
async fn declining_on_the_page_produces_a_failure_webhook() {
    let provider = provider();
    let req = request(4500);
    let session = provider.create_session(req.clone()).await.unwrap();
    let delivery = provider
        .complete(&session.session_id, PageOutcome::Decline)
        .unwrap();
    let event = verify(&provider, &delivery).event;
    assert_eq!(event.kind, WebhookEventType::PaymentFailed);
    assert_eq!(event.failure_code.as_deref(), Some("card_declined"));
    let status = provider.status(req.reference).await.unwrap().unwrap();
    assert_eq!(
        status.state,
        OnlinePaymentState::Failed {
            code: "card_declined".into()
        }
    );
    let refund = provider
        .refund(&event.provider_ref, 100, Uuid::now_v7())
        .await;
    assert!(matches!(refund, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn amounts_ending_in_51_fail_even_when_the_guest_pays() {
    let provider = provider();
    let session = provider.create_session(request(1051)).await.unwrap();
    let delivery = provider
        .complete(&session.session_id, PageOutcome::Approve)
        .unwrap();
    let event = verify(&provider, &delivery).event;
    assert_eq!(event.kind, WebhookEventType::PaymentFailed);
    assert_eq!(event.failure_code.as_deref(), Some("insufficient_funds"));
}

#[tokio::test]
async fn completing_again_redelivers_the_same_event_and_cannot_change_it() {
    let provider = provider();
    let session = provider.create_session(request(2000)).await.unwrap();
    let t0 = Utc::now();
    let first = provider
        .complete_at(&session.session_id, PageOutcome::Approve, t0)
        .unwrap();
    let again = provider
        .complete_at(
            &session.session_id,
            PageOutcome::Approve,
            t0 + chrono::TimeDelta::seconds(60),
        )
        .unwrap();
    let first = verify(&provider, &first);
    let again = verify(&provider, &again);
    assert_eq!(first.event, again.event, "same event, same id");
    assert_ne!(
        first.signature.replay_key(),
        again.signature.replay_key(),
        "a redelivery is signed afresh"
    );
    let flipped = provider.complete(&session.session_id, PageOutcome::Decline);
    assert!(matches!(flipped, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn a_tampered_or_foreign_delivery_does_not_verify() {
    let provider = provider();
    let session = provider.create_session(request(2000)).await.unwrap();
    let mut delivery = provider
        .complete(&session.session_id, PageOutcome::Decline)
        .unwrap();
    let forged = String::from_utf8(delivery.body.clone())
        .unwrap()
        .replace("payment.failed", "payment.succeeded");
    delivery.body = forged.into_bytes();
    let signature = find_header(&delivery.headers, SIGNATURE_HEADER);
    assert_eq!(
        provider.verify_webhook(signature, &delivery.body, Utc::now()),
        Err(WebhookError::SignatureMismatch)
    );

    let other = SimulatedOnlineProvider::new(b"another secret".to_vec(), "https://x.test");
    let session = other.create_session(request(2000)).await.unwrap();
    let theirs = other
        .complete(&session.session_id, PageOutcome::Approve)
        .unwrap();
    let signature = find_header(&theirs.headers, SIGNATURE_HEADER);
    assert_eq!(
        provider.verify_webhook(signature, &theirs.body, Utc::now()),
        Err(WebhookError::SignatureMismatch)
    );
}

#[tokio::test]
async fn an_old_delivery_is_stale() {
    let provider = provider();
    let session = provider.create_session(request(2000)).await.unwrap();
    let then = Utc::now() - chrono::TimeDelta::minutes(10);
    let delivery = provider
        .complete_at(&session.session_id, PageOutcome::Approve, then)
        .unwrap();
    let signature = find_header(&delivery.headers, SIGNATURE_HEADER);
    assert!(matches!(
        provider.verify_webhook(signature, &delivery.body, Utc::now()),
        Err(WebhookError::Stale { .. })
    ));
}

#[tokio::test]
async fn sessions_are_idempotent_by_reference() {
    let provider = provider();
    let req = request(2000);
    let first = provider.create_session(req.clone()).await.unwrap();
    let again = provider.create_session(req.clone()).await.unwrap();
    assert_eq!(first, again);
    let reused = provider
        .create_session(SessionRequest {
            amount: 2100,
            ..req
        })
        .await;
    assert!(matches!(reused, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn session_timeout_is_found_by_status_and_retry() {
    let provider = provider();
    let req = request(3052);
    assert_eq!(
        provider.create_session(req.clone()).await,
        Err(ProviderError::Timeout)
    );
    let status = provider.status(req.reference).await.unwrap().unwrap();
    assert_eq!(status.state, OnlinePaymentState::Pending);
    let session = provider.create_session(req).await.unwrap();
    assert_eq!(session.session_id, status.session_id);
}

#[tokio::test]
async fn unavailable_opens_nothing() {
    let provider = provider();
    let req = request(353);
    assert_eq!(
        provider.create_session(req.clone()).await,
        Err(ProviderError::Unavailable)
    );
    assert_eq!(provider.status(req.reference).await.unwrap(), None);
}

#[tokio::test]
async fn refunds_are_partial_cumulative_and_bounded() {
    let provider = provider();
    let req = request(5000);
    let session = provider.create_session(req.clone()).await.unwrap();
    let delivery = provider
        .complete(&session.session_id, PageOutcome::Approve)
        .unwrap();
    let provider_ref = verify(&provider, &delivery).event.provider_ref;

    let refund_reference = Uuid::now_v7();
    let first = provider
        .refund(&provider_ref, 2000, refund_reference)
        .await
        .unwrap();
    let repeat = provider
        .refund(&provider_ref, 2000, refund_reference)
        .await
        .unwrap();
    assert_eq!(first, repeat);
    let over = provider.refund(&provider_ref, 3001, Uuid::now_v7()).await;
    assert!(matches!(over, Err(ProviderError::Invalid(_))));
    provider
        .refund(&provider_ref, 3000, Uuid::now_v7())
        .await
        .unwrap();
    let status = provider.status(req.reference).await.unwrap().unwrap();
    assert_eq!(status.refunded_amount, 5000);
}

#[tokio::test]
async fn the_payment_page_is_labelled_and_escaped() {
    let provider = provider();
    let session = provider.create_session(request(1050)).await.unwrap();
    let page_session = provider.session(&session.session_id).unwrap();
    let html = payment_page_html(&page_session, "/pay/sim/complete?a=1&b=\"2\"");
    assert!(html.contains("SIMULATOR"));
    assert!(html.contains("Pay (simulator)"));
    assert!(html.contains("Decline (simulator)"));
    assert!(html.contains("SAR 10.50"));
    assert!(html.contains("action=\"/pay/sim/complete?a=1&amp;b=&quot;2&quot;\""));
    assert!(html.contains(&format!("value=\"{}\"", session.session_id)));
    assert!(!html.contains("<script"));

    provider
        .complete(&session.session_id, PageOutcome::Approve)
        .unwrap();
    let done = payment_page_html(
        &provider.session(&session.session_id).unwrap(),
        "/pay/sim/complete",
    );
    assert!(
        !done.contains("<form"),
        "a settled session cannot be paid again"
    );
    assert!(provider.session("simcs_unknown").is_none());
}

#[test]
fn amounts_are_shown_with_the_currency_s_decimals() {
    assert_eq!(format_amount(1050, "SAR"), "SAR 10.50");
    assert_eq!(format_amount(5, "SAR"), "SAR 0.05");
    assert_eq!(format_amount(1050, "KWD"), "KWD 1.050");
    assert_eq!(format_amount(1050, "JPY"), "JPY 1050");
    assert_eq!(format_amount(-250, "USD"), "USD -2.50");
}

#[test]
fn page_outcomes_come_from_form_values() {
    assert_eq!(
        serde_json::from_str::<PageOutcome>("\"approve\"").unwrap(),
        PageOutcome::Approve
    );
    assert_eq!(
        serde_json::from_str::<PageOutcome>("\"decline\"").unwrap(),
        PageOutcome::Decline
    );
}
