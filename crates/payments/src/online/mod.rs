//! Online payments through a hosted payment page, in the same steps as card tenders:
//!
//! 1. **Intent**: a `payment_attempts` row (`method = 'online'`, `pending`) committed with a
//!    `payments.resolve_attempt` task; its id is our reference towards the provider.
//! 2. **Session**: the provider opens a hosted session for the reference (idempotent by it) and
//!    hands back the page the guest is sent to. Card details are typed there, never into sous.
//! 3. **Outcome**: the provider's signed webhook (`POST /api/payments/webhooks/{provider}`) —
//!    signature and timestamp checked, the delivery refused if replayed, the event acted on once
//!    — records the payment and posts it to `online_clearing`, in one transaction with the
//!    delivery and event records. A lost webhook is made good by asking the provider: when the
//!    client polls the session, and by the task.
//!
//! A payment that lands when the order no longer needs it (paid at the till meanwhile, or
//! ended) is given back at the provider instead of being booked.

pub mod routes;
pub mod webhook;

pub use webhook::{WebhookResult, simulator_answer, simulator_page, webhook};

use crate::provider::{
    self, OnlinePaymentState, OnlineProvider, ProviderError, SessionRequest,
    online_store::StoredSimulatedOnlineProvider,
};
use chrono::Utc;
use ledger::{self, Account, NewEntry, credit, debit};
use ordering::api::Order;
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::{Db, TenantScope, Tx},
    error::{Error, Result},
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::attempts::{
    self, Settled,
    repo::{self, AttemptOutcome, AttemptRow, NewAttempt},
};

/// How long a session may stay unanswered before the task gives it up as abandoned.
const ABANDONED_AFTER_MINUTES: i64 = 60;

/// `POST /api/orders/{id}/payment-sessions`.
#[derive(Clone, Debug, Deserialize, garde::Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionBody {
    /// Minor units; by default what is still due.
    #[garde(inner(range(min = 1, max = 1_000_000_000_000)))]
    #[schema(minimum = 1, maximum = 1000000000000i64)]
    pub amount: Option<i64>,
    /// Where the guest comes back to after the payment page: a path on this site
    /// (`/orders/…`), never another site. Default `/orders/{id}`.
    #[garde(inner(length(chars, min = 1, max = 500)))]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^/([^/\\\u0000-\u001F\u007F-\u009F][^\\\u0000-\u001F\u007F-\u009F]*)?$"
    )]
    pub return_url: Option<String>,
}

/// A hosted payment session and where it stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDto {
    /// Our reference: poll `GET /api/payment-sessions/{id}`.
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub currency: String,
    /// `pending` (waiting for the guest), `unknown`, `succeeded`, `declined`, `failed`,
    /// `reversed` (paid after the order no longer needed it, and given back).
    pub status: String,
    pub session_id: Option<String>,
    /// The provider's payment page to send the guest to.
    pub redirect_url: Option<String>,
    pub return_url: Option<String>,
    pub decline_code: Option<String>,
}

fn dto(a: &AttemptRow) -> SessionDto {
    SessionDto {
        id: a.id,
        order_id: a.order_id,
        amount: a.amount,
        currency: a.currency.clone(),
        status: a.status.clone(),
        session_id: a.session_id.clone(),
        redirect_url: a.redirect_url.clone(),
        return_url: a.return_url.clone(),
        decline_code: a.decline_code.clone(),
    }
}

/// The configured online provider.
pub fn provider_of(state: &AppState) -> (&'static str, Arc<StoredSimulatedOnlineProvider>) {
    provider::configured_online(
        state.settings.payments.online,
        &state.db.pool,
        &state.webhook_secret,
        state.settings.payments.public_url.as_deref(),
    )
}

/// The provider an attempt went to, for asking about it (no secret needed for that).
fn provider_for_status(db: &Db, a: &AttemptRow) -> Result<StoredSimulatedOnlineProvider> {
    if a.provider == provider::online_store::PROVIDER {
        Ok(StoredSimulatedOnlineProvider::new(
            db.pool.clone(),
            Vec::new(),
            "",
        ))
    } else {
        Err(anyhow::anyhow!(
            "attempt {} names an unknown online provider {}",
            a.id,
            a.provider
        )
        .into())
    }
}

/// The guest or customer who placed the order, or staff of its branch who may take payments.
fn may_pay(who: &Principal, order: &Order) -> bool {
    match who.kind {
        PrincipalKind::Staff => {
            who.can_access_branch(order.branch_id)
                && !matches!(who.role, Role::Kitchen | Role::Driver)
        }
        _ => order.placed_by == who.id,
    }
}

/// A path on this site: no scheme, no host, so the page cannot send guests elsewhere.
/// What the `returnUrl` pattern of the document states: a single leading `/`, no backslash, no
/// control character.
fn local_path(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(char::is_control)
}

/// `POST /api/orders/{id}/payment-sessions`: opens a hosted payment session.
pub async fn create(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    key: &str,
    req: &SessionBody,
) -> Result<SessionDto> {
    let return_url = req
        .return_url
        .clone()
        .unwrap_or_else(|| format!("/orders/{order_id}"));
    if !local_path(&return_url) {
        return Err(Error::invalid(
            "returnUrl",
            "must be a path on this site, starting with a single /",
        ));
    }
    let scope = who.scope();
    let mut tx = state.db.begin(scope).await?;
    if let Some(a) = repo::attempt_by_key(&mut tx, key).await? {
        tx.commit().await?;
        if a.order_id != order_id || a.method != "online" || a.created_by != who.id {
            return Err(Error::invalid(
                "Idempotency-Key",
                "was used for a different request; use a new key for a new payment",
            ));
        }
        return open_session(state, scope, a).await;
    }
    let order = ordering::api::lock(&mut tx, order_id).await?;
    if !may_pay(who, &order) {
        return Err(Error::NotFound);
    }
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    let due = order.total - order.paid - repo::open_charges(&mut tx, order.id).await?;
    if due <= 0 {
        return Err(Error::conflict(
            "nothing_due",
            "nothing is due on this order",
        ));
    }
    let amount = req.amount.unwrap_or(due);
    if amount > due {
        return Err(Error::invalid("amount", format!("only {due} is due")));
    }
    let (name, _) = provider_of(state);
    let id = Uuid::now_v7();
    repo::insert_attempt(
        &mut tx,
        &NewAttempt {
            id,
            tenant_id: who.tenant_id,
            branch_id: order.branch_id,
            order_id: order.id,
            kind: "charge",
            method: "online",
            provider: name,
            terminal_id: None,
            idempotency_key: Some(key),
            return_url: Some(&return_url),
            amount,
            currency: &order.currency,
            payment_id: None,
            provider_ref: None,
            reason: None,
            approved_by: None,
            created_by: who.id,
        },
    )
    .await
    .map_err(attempts::key_in_flight(
        "this session is being opened; retry",
    ))?;
    attempts::enqueue_resolution(&mut tx, id, who.tenant_id).await?;
    tx.commit().await?;
    let a = load(&state.db, scope, id).await?;
    open_session(state, scope, a).await
}

async fn load(db: &Db, scope: TenantScope, id: Uuid) -> Result<AttemptRow> {
    let mut tx = db.begin(scope).await?;
    let a = repo::attempt(&mut tx, id, false)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(a)
}

/// Step 2: the session at the provider (again, on a retry: it is idempotent by reference).
async fn open_session(state: &AppState, scope: TenantScope, a: AttemptRow) -> Result<SessionDto> {
    if !matches!(a.status.as_str(), "pending" | "unknown") || a.session_id.is_some() {
        return Ok(dto(&a));
    }
    let (_, online) = provider_of(state);
    let session = online
        .create_session(SessionRequest {
            amount: a.amount,
            currency: a.currency.clone(),
            reference: a.id,
            return_url: a.return_url.clone().unwrap_or_default(),
        })
        .await;
    match session {
        Ok(session) => {
            let mut tx = state.db.begin(scope).await?;
            repo::set_session(&mut tx, a.id, &session.session_id, &session.redirect_url).await?;
            tx.commit().await?;
            Ok(dto(&load(&state.db, scope, a.id).await?))
        }
        Err(ProviderError::Timeout) => {
            attempts::mark(&state.db, scope, a.id, AttemptOutcome::unknown()).await?;
            Err(crate::errors::outcome_unknown(format!(
                "the payment provider did not answer in time; retry with the same \
                     Idempotency-Key to get session {} — never a second one",
                a.id
            )))
        }
        Err(ProviderError::Unavailable) => {
            attempts::mark(
                &state.db,
                scope,
                a.id,
                AttemptOutcome::failed("the online provider was unavailable"),
            )
            .await?;
            Err(crate::errors::unavailable(
                "provider_unavailable",
                "the online payment provider could not be reached; nothing was opened",
            ))
        }
        Err(e) => {
            attempts::mark(
                &state.db,
                scope,
                a.id,
                AttemptOutcome::failed(&e.to_string()),
            )
            .await?;
            Err(Error::conflict("payment_refused", e.to_string()))
        }
    }
}

/// `GET /api/payment-sessions/{id}`: where the session stands. While it is open, the provider
/// is asked, so a webhook that never arrived does not leave the guest waiting.
pub async fn status(state: &AppState, who: &Principal, id: Uuid) -> Result<SessionDto> {
    let scope = who.scope();
    let mut tx = state.db.begin(scope).await?;
    let a = repo::attempt(&mut tx, id, false)
        .await?
        .ok_or(Error::NotFound)?;
    let order = ordering::api::order(&mut tx, a.order_id).await?;
    tx.commit().await?;
    if a.method != "online" || !may_pay(who, &order) {
        return Err(Error::NotFound);
    }
    if matches!(a.status.as_str(), "pending" | "unknown") && a.session_id.is_some() {
        resolve(&state.db, scope, &a, false).await?;
    }
    Ok(dto(&load(&state.db, scope, id).await?))
}

/// Asks the provider about an open online attempt and settles it when it knows. `sweeping`: the
/// task, which also gives up sessions left unanswered for an hour.
pub(crate) async fn resolve(
    db: &Db,
    scope: TenantScope,
    a: &AttemptRow,
    sweeping: bool,
) -> Result<Settled> {
    let online = provider_for_status(db, a)?;
    let known = match online.status(a.id).await {
        Ok(known) => known,
        Err(_) => return Ok(Settled::Failed(attempts::unknown_outcome(a.id))),
    };
    match known {
        Some(p) if p.state == OnlinePaymentState::Succeeded => {
            let provider_ref = p.provider_ref.unwrap_or_default();
            let mut tx = db.begin(scope).await?;
            settle(&mut tx, db, a.id, true, &provider_ref, None).await?;
            tx.commit().await?;
            Ok(Settled::Done)
        }
        Some(p) if matches!(p.state, OnlinePaymentState::Failed { .. }) => {
            let code = match p.state {
                OnlinePaymentState::Failed { code } => code,
                _ => String::new(),
            };
            let mut tx = db.begin(scope).await?;
            settle(&mut tx, db, a.id, false, "", Some(&code)).await?;
            tx.commit().await?;
            Ok(Settled::Failed(attempts::declined(
                &code,
                "the payment failed",
            )))
        }
        _ if sweeping
            && Utc::now() - a.created_at > chrono::Duration::minutes(ABANDONED_AFTER_MINUTES) =>
        {
            attempts::mark(
                db,
                scope,
                a.id,
                AttemptOutcome::failed("abandoned: the guest never answered the payment page"),
            )
            .await?;
            Ok(Settled::Failed(attempts::unavailable()))
        }
        _ => Ok(Settled::Failed(attempts::unknown_outcome(a.id))),
    }
}

/// Step 3, in the caller's transaction: the payment booked once (or given back when the order
/// no longer needs it), or the attempt marked declined. An attempt given up as abandoned is
/// still booked when the guest paid after all.
async fn settle(
    tx: &mut Tx,
    db: &Db,
    attempt_id: Uuid,
    succeeded: bool,
    provider_ref: &str,
    failure_code: Option<&str>,
) -> Result<()> {
    let a0 = repo::attempt(tx, attempt_id, false)
        .await?
        .ok_or(Error::NotFound)?;
    let order = ordering::api::lock(tx, a0.order_id).await?;
    let a = repo::attempt(tx, attempt_id, true)
        .await?
        .ok_or(Error::NotFound)?;
    if !matches!(a.status.as_str(), "pending" | "unknown" | "failed") {
        return Ok(());
    }
    if !succeeded {
        repo::set_attempt(
            tx,
            a.id,
            &AttemptOutcome {
                status: "declined",
                decline_code: failure_code,
                ..Default::default()
            },
        )
        .await?;
        return Ok(());
    }
    let due = order.total - order.paid;
    if !order.status.is_live() || a.amount > due {
        // Paid after the order stopped needing it: back to the guest, at most once.
        provider::refund_at(
            &a.provider,
            &db.pool,
            provider_ref,
            a.amount,
            attempts::derived_reference(a.id, "give back"),
        )
        .await
        .map_err(|e| anyhow::anyhow!("giving back online payment {}: {e}", a.id))?;
        repo::set_attempt(
            tx,
            a.id,
            &AttemptOutcome {
                status: "reversed",
                provider_ref: Some(provider_ref),
                error: Some("the order no longer needed it: refunded at the provider"),
                ..Default::default()
            },
        )
        .await?;
        return Ok(());
    }
    repo::insert_card_payment(
        tx,
        &repo::CardPayment {
            id: a.id,
            method: "online",
            tenant_id: a.tenant_id,
            branch_id: a.branch_id,
            order_id: a.order_id,
            amount: a.amount,
            provider: &a.provider,
            provider_ref,
            terminal_id: None,
            card_brand: None,
            last4: None,
            taken_by: a.created_by,
        },
    )
    .await?;
    ledger::post(
        tx,
        NewEntry {
            tenant_id: a.tenant_id,
            branch_id: a.branch_id,
            kind: "payment",
            reference_type: "payment",
            reference_id: a.id,
            memo: Some("online"),
            created_by: Some(a.created_by),
            currency: &a.currency,
            postings: vec![
                debit(Account::OnlineClearing, a.amount),
                credit(Account::Receivable, a.amount),
            ],
        },
    )
    .await?;
    repo::set_attempt(
        tx,
        a.id,
        &AttemptOutcome {
            status: "succeeded",
            provider_ref: Some(provider_ref),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
