//! What card and online tenders share: the recovery point of a call out to a provider (an
//! attempt), its resolution task, and the answers a provider's silence or decline gives.

pub mod repo;

use chrono::Utc;
use ledger::{self, Account};
use ordering::api::OrderDto;
use platform::{
    AppState,
    db::{Db, TenantScope},
    error::{Error, Result},
    queue::{self, NewTask},
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

use crate::provider::{self, CardTerminal};

use repo::{AttemptOutcome, AttemptRow};

/// The task that resolves an attempt left open.
pub const RESOLVE_TASK: &str = "payments.resolve_attempt";

/// How long after an attempt starts the task looks at it. A request normally settles it well
/// before; an attempt still `pending` this late was abandoned by its process.
pub(crate) const RESOLVE_AFTER_SECS: i64 = 60;

pub(crate) fn terminal_of(db: &Db, a: &AttemptRow) -> Result<Arc<dyn CardTerminal>> {
    provider::terminal_named(&a.provider, &db.pool).ok_or_else(|| {
        anyhow::anyhow!("attempt {} names an unknown terminal {}", a.id, a.provider).into()
    })
}

/// The account a payment of `method` was taken into, and refunds of it leave from.
pub(crate) fn clearing(method: &str) -> Account {
    match method {
        "card" => Account::CardClearing,
        "online" => Account::OnlineClearing,
        _ => Account::CashDrawer,
    }
}

/// A reference derived from another, for a call that must be made at most once per source (the
/// give-back of a charge no longer needed, the refund of a payment when its order is voided).
pub(crate) fn derived_reference(source: Uuid, purpose: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(source.as_bytes())
        .chain_update(purpose.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The same Idempotency-Key racing itself into `payment_attempts`: the loser answers 409 and,
/// on its retry, finds the winner's attempt.
pub(crate) fn key_in_flight(message: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::Sqlx(sqlx::Error::Database(db))
            if db.constraint() == Some("payment_attempts_tenant_id_idempotency_key_key") =>
        {
            Error::conflict("payment_in_flight", message)
        }
        other => other,
    }
}

pub(crate) async fn enqueue_resolution(
    tx: &mut platform::db::Tx,
    a_id: Uuid,
    tenant_id: Uuid,
) -> Result<()> {
    queue::enqueue(
        tx,
        &NewTask::new(RESOLVE_TASK, json!({ "attemptId": a_id }))
            .tenant(tenant_id)
            .run_at(Utc::now() + chrono::Duration::seconds(RESOLVE_AFTER_SECS))
            .max_attempts(30)
            .dedup_key(format!("attempt:{a_id}")),
    )
    .await?;
    Ok(())
}

pub(crate) async fn mark(
    db: &Db,
    scope: TenantScope,
    id: Uuid,
    o: AttemptOutcome<'_>,
) -> Result<()> {
    let mut tx = db.begin(scope).await?;
    // Only an open attempt changes: a concurrent resolution may have settled it meanwhile.
    if let Some(a) = repo::attempt(&mut tx, id, true).await?
        && matches!(a.status.as_str(), "pending" | "unknown")
    {
        repo::set_attempt(&mut tx, id, &o).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) fn declined(code: &str, message: &str) -> Error {
    crate::errors::declined(format!("the card was declined ({code}): {message}"))
}

pub(crate) fn unknown_outcome(id: Uuid) -> Error {
    crate::errors::outcome_unknown(format!(
        "the terminal did not answer in time; attempt {id} is being resolved with it: retry \
             with the same Idempotency-Key, or wait — it is never charged twice"
    ))
}

pub(crate) fn unavailable() -> Error {
    crate::errors::unavailable(
        "terminal_unavailable",
        "the card terminal could not be reached; nothing was charged",
    )
}

pub(crate) async fn order_now(db: &Db, scope: TenantScope, order_id: Uuid) -> Result<OrderDto> {
    let mut tx = db.begin(scope).await?;
    let dto = ordering::api::order_dto(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(dto)
}

/// Crash testing: stop between the provider call and the outcome (see `PaymentSettings`).
pub(crate) async fn pause_if_asked(state: &AppState) {
    if state.settings.payments.pause_after_provider {
        tracing::warn!("payments.pause_after_provider is set: waiting forever before recording");
        std::future::pending::<()>().await;
    }
}

pub(crate) enum Settled {
    Done,
    Failed(Error),
}
