//! The SQL of payment attempts (a call out to a provider, recorded before it is made), the
//! card and online payments they end in, and the webhook deliveries that report on them.

use chrono::{DateTime, Utc};
use platform::{db::Tx, error::Result};
use sqlx::FromRow;
use uuid::Uuid;

/// A call out to a payment provider, recorded before it is made (`payment_attempts`).
#[derive(Clone, Debug, FromRow)]
pub struct AttemptRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub kind: String,
    pub method: String,
    pub provider: String,
    pub terminal_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub payment_id: Option<Uuid>,
    pub provider_ref: Option<String>,
    pub decline_code: Option<String>,
    pub error: Option<String>,
    pub reason: Option<String>,
    pub approved_by: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub session_id: Option<String>,
    pub redirect_url: Option<String>,
    pub return_url: Option<String>,
}

const ATTEMPT_COLS: &str = "id, tenant_id, branch_id, order_id, kind, method, provider, terminal_id, \
    amount, currency, status, payment_id, provider_ref, decline_code, error, reason, approved_by, \
    created_by, created_at, session_id, redirect_url, return_url";

pub async fn attempt_by_key(tx: &mut Tx, key: &str) -> Result<Option<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "select {ATTEMPT_COLS} from payment_attempts where idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The attempt, locked when `lock` (finishing it takes the order's lock first, then this).
pub async fn attempt(tx: &mut Tx, id: Uuid, lock: bool) -> Result<Option<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "select {ATTEMPT_COLS} from payment_attempts where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Card charges on the order whose outcome is not known yet: they may still be captured, so
/// they count against what is due. Online sessions do not: a guest who opens one and walks
/// away must not block the till; one that lands after the order was paid is given back.
pub async fn open_charges(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(amount), 0)::bigint from payment_attempts \
         where order_id = $1 and kind = 'charge' and method = 'card' \
           and status in ('pending', 'unknown')",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Refunds of the payment under way at the provider: they count against what is left.
pub async fn open_refunds(tx: &mut Tx, payment_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(amount), 0)::bigint from payment_attempts \
         where payment_id = $1 and kind = 'refund' and status in ('pending', 'unknown')",
    )
    .bind(payment_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// What refunds still under way at a terminal will give back on an order.
pub async fn open_refunds_of_order(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(amount), 0)::bigint from payment_attempts \
         where order_id = $1 and kind = 'refund' and status in ('pending', 'unknown')",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn open_attempts(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from payment_attempts \
         where order_id = $1 and status in ('pending', 'unknown')",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub struct NewAttempt<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub kind: &'a str,
    pub method: &'a str,
    pub provider: &'a str,
    pub terminal_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub return_url: Option<&'a str>,
    pub amount: i64,
    pub currency: &'a str,
    pub payment_id: Option<Uuid>,
    pub provider_ref: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub approved_by: Option<Uuid>,
    pub created_by: Uuid,
}

pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>) -> Result<()> {
    sqlx::query(
        "insert into payment_attempts (id, tenant_id, branch_id, order_id, kind, method, provider, \
                                       terminal_id, idempotency_key, amount, currency, status, \
                                       payment_id, provider_ref, reason, approved_by, created_by, \
                                       return_url) \
         values ($1, $2, $3, $4, $5, $16, $6, $7, $8, $9, $10, 'pending', $11, $12, $13, $14, $15, $17)",
    )
    .bind(a.id)
    .bind(a.tenant_id)
    .bind(a.branch_id)
    .bind(a.order_id)
    .bind(a.kind)
    .bind(a.provider)
    .bind(a.terminal_id)
    .bind(a.idempotency_key)
    .bind(a.amount)
    .bind(a.currency)
    .bind(a.payment_id)
    .bind(a.provider_ref)
    .bind(a.reason)
    .bind(a.approved_by)
    .bind(a.created_by)
    .bind(a.method)
    .bind(a.return_url)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The hosted session an online attempt opened.
pub async fn set_session(
    tx: &mut Tx,
    id: Uuid,
    session_id: &str,
    redirect_url: &str,
) -> Result<()> {
    sqlx::query(
        "update payment_attempts set session_id = $2, redirect_url = $3, status = 'pending', \
                updated_at = now() \
         where id = $1 and status in ('pending', 'unknown')",
    )
    .bind(id)
    .bind(session_id)
    .bind(redirect_url)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The tenant of an attempt, before any tenant is known (a webhook names only the attempt).
pub async fn attempt_tenant(tx: &mut Tx, id: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("select payment_attempt_tenant($1)")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Records a webhook delivery by its signature; false when this very delivery was seen.
pub async fn record_delivery(tx: &mut Tx, provider: &str, replay_key: &str) -> Result<bool> {
    Ok(sqlx::query(
        "insert into webhook_deliveries (provider, replay_key) values ($1, $2) \
         on conflict do nothing",
    )
    .bind(provider)
    .bind(replay_key)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Records a webhook event by its id; false when it was acted on already.
pub async fn record_event(
    tx: &mut Tx,
    provider: &str,
    event_id: &str,
    tenant_id: Uuid,
    attempt_id: Uuid,
    kind: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "insert into webhook_events (provider, event_id, tenant_id, attempt_id, kind) \
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(provider)
    .bind(event_id)
    .bind(tenant_id)
    .bind(attempt_id)
    .bind(kind)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// What became of an attempt, with whatever the provider handed back.
#[derive(Default)]
pub struct AttemptOutcome<'a> {
    pub status: &'a str,
    pub provider_ref: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub decline_code: Option<&'a str>,
    pub error: Option<&'a str>,
}

impl<'a> AttemptOutcome<'a> {
    /// The provider's answer was lost: it may or may not have acted.
    pub fn unknown() -> Self {
        Self {
            status: "unknown",
            ..Self::default()
        }
    }

    /// Nothing happened at the provider, for this reason.
    pub fn failed(error: &'a str) -> Self {
        Self {
            status: "failed",
            error: Some(error),
            ..Self::default()
        }
    }
}

pub async fn set_attempt(tx: &mut Tx, id: Uuid, o: &AttemptOutcome<'_>) -> Result<()> {
    sqlx::query(
        "update payment_attempts set status = $2, provider_ref = coalesce($3, provider_ref), \
                card_brand = coalesce($4, card_brand), last4 = coalesce($5, last4), \
                decline_code = coalesce($6, decline_code), error = coalesce($7, error), \
                updated_at = now() \
         where id = $1",
    )
    .bind(id)
    .bind(o.status)
    .bind(o.provider_ref)
    .bind(o.card_brand)
    .bind(o.last4)
    .bind(o.decline_code)
    .bind(o.error.map(|e| e.chars().take(500).collect::<String>()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct CardPayment<'a> {
    pub id: Uuid,
    /// `card` or `online`.
    pub method: &'a str,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub provider: &'a str,
    pub provider_ref: &'a str,
    pub terminal_id: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub taken_by: Uuid,
}

pub async fn insert_card_payment(tx: &mut Tx, p: &CardPayment<'_>) -> Result<()> {
    sqlx::query(
        "insert into payments (id, tenant_id, branch_id, order_id, method, status, amount, \
                               taken_by, provider, provider_ref, terminal_id, card_brand, last4) \
         values ($1, $2, $3, $4, $12, 'captured', $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(p.id)
    .bind(p.tenant_id)
    .bind(p.branch_id)
    .bind(p.order_id)
    .bind(p.amount)
    .bind(p.taken_by)
    .bind(p.provider)
    .bind(p.provider_ref)
    .bind(p.terminal_id)
    .bind(p.card_brand)
    .bind(p.last4)
    .bind(p.method)
    .execute(&mut **tx)
    .await?;
    ordering::api::add_paid(tx, p.order_id, p.amount).await
}
