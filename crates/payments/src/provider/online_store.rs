//! The online-payment **simulator** with its memory in PostgreSQL (`simulator_online_sessions`,
//! `simulator_online_refunds`). It follows the flows and outcomes of
//! [`SimulatedOnlineProvider`](super::SimulatedOnlineProvider) — hosted sessions, a test page,
//! signed webhooks, `…51` failing at "Pay", `…52` losing the answer to session creation, `…53`
//! unreachable — and, like a real provider, remembers its sessions and payments across a restart
//! of sous, so a lost webhook can be made good by asking it.
//!
//! Its tables belong to the simulated provider, not to a brand: no tenant, no RLS.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::{
    OnlinePayment, OnlinePaymentState, OnlineProvider, PageOutcome, ProviderError, ProviderFuture,
    Refund, Session, SessionRequest, SimulatedOutcome, SimulatedSession, WebhookDelivery,
    check_amount, check_currency, stored_refunds,
    webhook::{
        self, DEFAULT_TOLERANCE, SIGNATURE_HEADER, VerifiedWebhook, WebhookError, WebhookEvent,
        WebhookEventType,
    },
};

/// The provider name attempts and payments record for this provider.
pub const PROVIDER: &str = "online_simulator";

/// An online payment provider simulator that survives restarts. See the module documentation.
#[derive(Clone, Debug)]
pub struct StoredSimulatedOnlineProvider {
    pool: PgPool,
    webhook_secret: Vec<u8>,
    page_base_url: String,
}

const REFUNDS: stored_refunds::Tables = stored_refunds::Tables {
    payments: "simulator_online_sessions",
    refunds: "simulator_online_refunds",
    unreachable,
};

fn unreachable(e: sqlx::Error) -> ProviderError {
    tracing::warn!(error = %e, "the online payment simulator's storage failed");
    ProviderError::Unavailable
}

struct Stored {
    reference: Uuid,
    session_id: String,
    request: SessionRequest,
    event: Option<WebhookEvent>,
    outcome: Option<PageOutcome>,
    refunded: i64,
}

const COLS: &str =
    "reference, session_id, amount, currency, return_url, outcome, event, provider_ref, refunded";

impl Stored {
    fn from_row(r: &sqlx::postgres::PgRow) -> Self {
        let event: Option<serde_json::Value> = r.get("event");
        let outcome: Option<String> = r.get("outcome");
        let reference: Uuid = r.get("reference");
        Self {
            reference,
            session_id: r.get("session_id"),
            request: SessionRequest {
                amount: r.get("amount"),
                currency: r.get("currency"),
                reference,
                return_url: r.get("return_url"),
            },
            event: event.and_then(|e| serde_json::from_value(e).ok()),
            outcome: outcome.map(|o| {
                if o == "approve" {
                    PageOutcome::Approve
                } else {
                    PageOutcome::Decline
                }
            }),
            refunded: r.get("refunded"),
        }
    }

    fn state(&self) -> OnlinePaymentState {
        match &self.event {
            None => OnlinePaymentState::Pending,
            Some(e) if e.kind == WebhookEventType::PaymentSucceeded => {
                OnlinePaymentState::Succeeded
            }
            Some(e) => OnlinePaymentState::Failed {
                code: e.failure_code.clone().unwrap_or_default(),
            },
        }
    }
}

impl StoredSimulatedOnlineProvider {
    /// `page_base_url` is where the app serves the test payment page, without a trailing slash;
    /// sessions redirect to `{page_base_url}/{session_id}`.
    pub fn new(pool: PgPool, webhook_secret: Vec<u8>, page_base_url: impl Into<String>) -> Self {
        Self {
            pool,
            webhook_secret,
            page_base_url: page_base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    fn session_for(&self, session_id: &str) -> Session {
        Session {
            session_id: session_id.to_owned(),
            redirect_url: format!("{}/{session_id}", self.page_base_url),
        }
    }

    async fn create_session_now(&self, req: SessionRequest) -> Result<Session, ProviderError> {
        check_amount(req.amount)?;
        check_currency(&req.currency)?;
        if req.return_url.is_empty() {
            return Err(ProviderError::Invalid("return_url is required".into()));
        }
        let outcome = SimulatedOutcome::for_amount(req.amount);
        let mut tx = self.pool.begin().await.map_err(unreachable)?;
        sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 1))")
            .bind(req.reference)
            .execute(&mut *tx)
            .await
            .map_err(unreachable)?;
        let existing = sqlx::query(&format!(
            "select {COLS} from simulator_online_sessions where reference = $1"
        ))
        .bind(req.reference)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unreachable)?;
        if let Some(row) = existing {
            let stored = Stored::from_row(&row);
            if stored.request != req {
                return Err(ProviderError::Invalid(format!(
                    "reference {} was already used for another session",
                    req.reference
                )));
            }
            return Ok(self.session_for(&stored.session_id));
        }
        if outcome == SimulatedOutcome::Unavailable {
            return Err(ProviderError::Unavailable);
        }
        let session_id = format!("simcs_{}", Uuid::new_v4().simple());
        sqlx::query(
            "insert into simulator_online_sessions (reference, session_id, amount, currency, return_url) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(req.reference)
        .bind(&session_id)
        .bind(req.amount)
        .bind(&req.currency)
        .bind(&req.return_url)
        .execute(&mut *tx)
        .await
        .map_err(unreachable)?;
        tx.commit().await.map_err(unreachable)?;
        if outcome == SimulatedOutcome::Timeout {
            return Err(ProviderError::Timeout);
        }
        Ok(self.session_for(&session_id))
    }

    /// The session the test payment page is about, if it exists.
    pub async fn session(
        &self,
        session_id: &str,
    ) -> Result<Option<SimulatedSession>, ProviderError> {
        let row = sqlx::query(&format!(
            "select {COLS} from simulator_online_sessions where session_id = $1"
        ))
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unreachable)?;
        Ok(row.map(|row| {
            let s = Stored::from_row(&row);
            SimulatedSession {
                session_id: s.session_id.clone(),
                state: s.state(),
                request: s.request,
            }
        }))
    }

    /// The guest answered the test page: settles the session once and returns the signed
    /// webhook delivery, timestamped `now`. Answering the same way again re-delivers the same
    /// event (same id) signed afresh, as a provider retrying a delivery does; answering
    /// differently is refused.
    pub async fn complete(
        &self,
        session_id: &str,
        outcome: PageOutcome,
        now: DateTime<Utc>,
    ) -> Result<WebhookDelivery, ProviderError> {
        let mut tx = self.pool.begin().await.map_err(unreachable)?;
        let row = sqlx::query(&format!(
            "select {COLS} from simulator_online_sessions where session_id = $1 for update"
        ))
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unreachable)?
        .ok_or_else(|| ProviderError::Invalid(format!("unknown session {session_id}")))?;
        let stored = Stored::from_row(&row);
        let event = match (&stored.outcome, stored.event) {
            (Some(earlier), Some(event)) if *earlier == outcome => event,
            (Some(_), _) => {
                return Err(ProviderError::Invalid(format!(
                    "session {session_id} was already completed differently"
                )));
            }
            (None, _) => {
                let event = super::online::completion_event(
                    outcome,
                    session_id,
                    stored.reference,
                    &stored.request,
                    now,
                );
                sqlx::query(
                    "update simulator_online_sessions set outcome = $2, event = $3, provider_ref = $4 \
                     where session_id = $1",
                )
                .bind(session_id)
                .bind(match outcome {
                    PageOutcome::Approve => "approve",
                    PageOutcome::Decline => "decline",
                })
                .bind(serde_json::to_value(&event).map_err(|e| ProviderError::Invalid(e.to_string()))?)
                .bind(&event.provider_ref)
                .execute(&mut *tx)
                .await
                .map_err(unreachable)?;
                event
            }
        };
        tx.commit().await.map_err(unreachable)?;
        Ok(super::online::signed_delivery(
            &self.webhook_secret,
            &event,
            now,
        ))
    }

    /// The webhook delivery of `event`, signed at `now`.
    async fn refund_now(
        &self,
        provider_ref: &str,
        amount: i64,
        refund_reference: Uuid,
    ) -> Result<Refund, ProviderError> {
        check_amount(amount)?;
        let tx = self.pool.begin().await.map_err(unreachable)?;
        Self::refund_in(tx, provider_ref, amount, refund_reference).await
    }

    /// A refund recorded in `tx`, which it commits: a transaction of its own from the pool, or
    /// a savepoint in the caller's (see [`super::refund_in`]).
    pub(super) async fn refund_in(
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        provider_ref: &str,
        amount: i64,
        refund_reference: Uuid,
    ) -> Result<Refund, ProviderError> {
        check_amount(amount)?;
        let row = sqlx::query(&format!(
            "select {COLS} from simulator_online_sessions where provider_ref = $1 for update"
        ))
        .bind(provider_ref)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unreachable)?
        .ok_or_else(|| ProviderError::Invalid(format!("unknown payment {provider_ref}")))?;
        let stored = Stored::from_row(&row);
        if stored.state() != OnlinePaymentState::Succeeded {
            return Err(ProviderError::Invalid(
                "only a successful payment can be refunded".into(),
            ));
        }
        let left = stored.request.amount - stored.refunded;
        stored_refunds::record(tx, &REFUNDS, provider_ref, amount, left, refund_reference).await
    }

    async fn status_now(&self, reference: Uuid) -> Result<Option<OnlinePayment>, ProviderError> {
        let row = sqlx::query(&format!(
            "select {COLS} from simulator_online_sessions where reference = $1"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await
        .map_err(unreachable)?;
        Ok(row.map(|row| {
            let s = Stored::from_row(&row);
            OnlinePayment {
                reference,
                session_id: s.session_id.clone(),
                state: s.state(),
                amount: s.request.amount,
                currency: s.request.currency.clone(),
                provider_ref: s.event.as_ref().map(|e| e.provider_ref.clone()),
                refunded_amount: s.refunded,
            }
        }))
    }
}

impl OnlineProvider for StoredSimulatedOnlineProvider {
    fn create_session(&self, req: SessionRequest) -> ProviderFuture<'_, Session> {
        Box::pin(self.create_session_now(req))
    }

    fn refund<'a>(
        &'a self,
        provider_ref: &'a str,
        amount: i64,
        refund_reference: Uuid,
    ) -> ProviderFuture<'a, Refund> {
        Box::pin(self.refund_now(provider_ref, amount, refund_reference))
    }

    fn status(&self, reference: Uuid) -> ProviderFuture<'_, Option<OnlinePayment>> {
        Box::pin(self.status_now(reference))
    }

    fn signature_header(&self) -> &'static str {
        SIGNATURE_HEADER
    }

    fn verify_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedWebhook, WebhookError> {
        webhook::verify_event(
            &self.webhook_secret,
            signature,
            body,
            now,
            DEFAULT_TOLERANCE,
        )
    }
}
