//! The provider's signed webhook, and the simulator's page that delivers one.

use crate::provider::{
    self, OnlineProvider, PageOutcome,
    webhook::{WebhookError, WebhookEvent, WebhookEventType},
};
use axum::http::HeaderMap;
use chrono::Utc;
use platform::{
    AppState,
    db::TenantScope,
    error::{Error, Result},
};

use crate::attempts::repo::{self};

use super::{provider_of, settle};

/// What a webhook delivery came to.
pub enum WebhookResult {
    /// Acted on now.
    Processed,
    /// The event was acted on before (a provider's redelivery): nothing changed.
    AlreadyProcessed,
}

/// `POST /api/payments/webhooks/{provider}`.
pub async fn webhook(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookResult> {
    let name = provider::online_by_webhook_segment(segment).ok_or(Error::NotFound)?;
    let (configured, online) = provider_of(state);
    if configured != name {
        return Err(Error::NotFound);
    }
    let signature = headers
        .get(online.signature_header())
        .and_then(|v| v.to_str().ok());
    let verified = online
        .verify_webhook(signature, body, Utc::now())
        .map_err(|e| match e {
            WebhookError::Stale { .. } | WebhookError::FromFuture { .. } => {
                tracing::warn!(error = %e, "refused a webhook outside the timestamp tolerance");
                Error::Unauthorized("webhook_timestamp_out_of_tolerance")
            }
            WebhookError::MalformedBody(m) => Error::bad_request("webhook_malformed", m),
            other => {
                tracing::warn!(error = %other, "refused a webhook with a bad signature");
                Error::Unauthorized("webhook_signature_invalid")
            }
        })?;
    let event: WebhookEvent = verified.event;
    let mut tx = state.db.begin_anonymous().await?;
    let tenant = repo::attempt_tenant(&mut tx, event.reference).await?;
    tx.commit().await?;
    let tenant = tenant.ok_or(Error::NotFound)?;
    let scope = TenantScope::tenant(tenant);
    let mut tx = state.db.begin(scope).await?;
    if !repo::record_delivery(&mut tx, name, verified.signature.replay_key()).await? {
        tracing::warn!(event = %event.id, "refused a replayed webhook delivery");
        return Err(Error::conflict(
            "webhook_replayed",
            "this delivery was received before",
        ));
    }
    let kind = match event.kind {
        WebhookEventType::PaymentSucceeded => "payment.succeeded",
        WebhookEventType::PaymentFailed => "payment.failed",
    };
    if !repo::record_event(&mut tx, name, &event.id, tenant, event.reference, kind).await? {
        tx.commit().await?;
        return Ok(WebhookResult::AlreadyProcessed);
    }
    let a = repo::attempt(&mut tx, event.reference, false)
        .await?
        .ok_or(Error::NotFound)?;
    if a.method != "online" || a.amount != event.amount || a.currency != event.currency {
        return Err(Error::invalid(
            "body",
            "the event does not match the payment it names",
        ));
    }
    settle(
        &mut tx,
        &state.db,
        a.id,
        event.kind == WebhookEventType::PaymentSucceeded,
        &event.provider_ref,
        event.failure_code.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookResult::Processed)
}

/// The simulator's test page for a session, or `None` when there is no such session.
pub async fn simulator_page(state: &AppState, session_id: &str) -> Result<Option<String>> {
    let (_, online) = provider_of(state);
    let session = online
        .session(session_id)
        .await
        .map_err(|e| anyhow::anyhow!("reading the simulated session: {e}"))?;
    Ok(session.map(|s| provider::payment_page_html(&s, provider::SIMULATOR_PAGE_PATH)))
}

/// The guest pressed a button on the simulator's page: `approve`, `decline`, or `timeout` (the
/// payment goes through but the webhook is lost, so only asking the provider finds it). The
/// simulator then delivers its signed webhook — in-process, through exactly the verification
/// an HTTP delivery gets — and the guest is sent to the session's return address.
pub async fn simulator_answer(state: &AppState, session_id: &str, outcome: &str) -> Result<String> {
    let (outcome, deliver) = match outcome {
        "approve" => (PageOutcome::Approve, true),
        "decline" => (PageOutcome::Decline, true),
        "timeout" => (PageOutcome::Approve, false),
        _ => {
            return Err(Error::invalid(
                "outcome",
                "must be approve, decline or timeout",
            ));
        }
    };
    let (_, online) = provider_of(state);
    let session = online
        .session(session_id)
        .await
        .map_err(|e| anyhow::anyhow!("reading the simulated session: {e}"))?
        .ok_or(Error::NotFound)?;
    let delivery = online
        .complete(session_id, outcome, Utc::now())
        .await
        .map_err(|e| Error::conflict("session_completed", e.to_string()))?;
    if deliver {
        let mut headers = HeaderMap::new();
        for (k, v) in &delivery.headers {
            if let (Ok(k), Ok(v)) = (
                axum::http::HeaderName::from_bytes(k.as_bytes()),
                axum::http::HeaderValue::from_str(v),
            ) {
                headers.insert(k, v);
            }
        }
        webhook(state, "simulator", &headers, &delivery.body).await?;
    }
    Ok(session.request.return_url)
}
