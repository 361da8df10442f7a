//! The SQL of the tenders (cash, refunds, card and online attempts, settlements), in the
//! caller's tenant-scoped transaction. The orders' own SQL is in `orders::repo` and
//! `orders::group`; their items are named here too, by the paths the tender code uses.

use chrono::{DateTime, Utc};

use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::FromRow;
use uuid::Uuid;

use crate::settlement::{NewSettlement, SettledMethod, Settlement};

pub use crate::orders::{group::*, repo::*};

// ---- cash payments -------------------------------------------------------------------------------

pub struct NewPayment {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub tendered: Option<i64>,
    pub change_given: Option<i64>,
    pub taken_by: Option<Uuid>,
    pub drawer_session_id: Option<Uuid>,
}

pub async fn insert_cash_payment(tx: &mut Tx, p: &NewPayment) -> Result<()> {
    sqlx::query(
        "insert into payments (id, tenant_id, branch_id, order_id, method, status, amount, \
                               tendered, change_given, taken_by, drawer_session_id) \
         values ($1, $2, $3, $4, 'cash', 'captured', $5, $6, $7, $8, $9)",
    )
    .bind(p.id)
    .bind(p.tenant_id)
    .bind(p.branch_id)
    .bind(p.order_id)
    .bind(p.amount)
    .bind(p.tendered)
    .bind(p.change_given)
    .bind(p.taken_by)
    .bind(p.drawer_session_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update orders set paid = paid + $2, updated_at = now() where id = $1")
        .bind(p.order_id)
        .bind(p.amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the books should say, from the orders and payments themselves (reconciliation).
#[derive(Debug, Default, FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Expected {
    /// Sum of live orders' totals minus what was paid on them.
    pub receivable: i64,
    pub cash: i64,
    /// Card payments captured less what was given back on them, less what was settled.
    pub card: i64,
    /// Online payments captured less what was given back on them, less what was settled.
    pub online: i64,
    /// What payouts brought to the banks.
    pub bank: i64,
    /// What providers kept from payouts.
    pub fees: i64,
    pub vat: i64,
    pub tips: i64,
}

pub async fn expected(tx: &mut Tx) -> Result<Expected> {
    Ok(sqlx::query_as(
        "select \
           coalesce((select sum(total - paid) from orders where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint \
               as receivable, \
           (coalesce((select sum(amount) from payments where method = 'cash'), 0) \
            - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                        where p.method = 'cash'), 0) \
            + coalesce((select sum(float_amount + coalesce(over_short, 0) - coalesce(counted, 0)) \
                        from drawer_sessions), 0) \
            + coalesce((select sum(case when kind = 'cash_in' then amount else -amount end) \
                        from drawer_movements), 0))::bigint as cash, \
           (coalesce((select sum(amount) from payments where method = 'card'), 0) \
            - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                        where p.method = 'card'), 0) \
            - coalesce((select sum(gross) from settlements where method = 'card'), 0))::bigint as card, \
           (coalesce((select sum(amount) from payments where method = 'online'), 0) \
            - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                        where p.method = 'online'), 0) \
            - coalesce((select sum(gross) from settlements where method = 'online'), 0))::bigint as online, \
           coalesce((select sum(net) from settlements), 0)::bigint as bank, \
           coalesce((select sum(fees) from settlements), 0)::bigint as fees, \
           (coalesce((select sum(vat) from orders where status not in ('cancelled', 'voided', 'split', 'merged')), 0) \
            - coalesce((select sum(r.vat) from refunds r join orders o on o.id = r.order_id \
                        where o.status not in ('cancelled', 'voided', 'split', 'merged')), 0))::bigint as vat, \
           coalesce((select sum(tip) from orders where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint as tips",
    )
    .fetch_one(&mut **tx)
    .await?)
}

// ---- refunds ----------------------------------------------------------------------------------

#[derive(Debug, FromRow)]
pub struct PaymentRef {
    pub id: Uuid,
    pub method: String,
    pub amount: i64,
    pub refunded: i64,
    pub provider: Option<String>,
    pub provider_ref: Option<String>,
}

pub async fn payment(tx: &mut Tx, id: Uuid, order_id: Uuid) -> Result<Option<PaymentRef>> {
    Ok(sqlx::query_as(
        "select id, method, amount, refunded, provider, provider_ref from payments \
         where id = $1 and order_id = $2 for update",
    )
    .bind(id)
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn refunded_vat(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(
        sqlx::query_scalar("select coalesce(sum(vat), 0)::bigint from refunds where order_id = $1")
            .bind(order_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

pub struct NewRefund<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub order_id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub vat: i64,
    pub reason: &'a str,
    pub created_by: Uuid,
    pub approved_by: Option<Uuid>,
    pub drawer_session_id: Option<Uuid>,
}

/// Records a refund and adds it to its payment and order.
pub async fn insert_refund(tx: &mut Tx, r: &NewRefund<'_>) -> Result<()> {
    sqlx::query(
        "insert into refunds (id, tenant_id, order_id, payment_id, amount, vat, reason, created_by, \
                              approved_by, drawer_session_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(r.order_id)
    .bind(r.payment_id)
    .bind(r.amount)
    .bind(r.vat)
    .bind(r.reason)
    .bind(r.created_by)
    .bind(r.approved_by)
    .bind(r.drawer_session_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "update payments set refunded = refunded + $2, \
                status = case when refunded + $2 = amount then 'refunded' else 'partially_refunded' end \
         where id = $1",
    )
    .bind(r.payment_id)
    .bind(r.amount)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update orders set refunded = refunded + $2, updated_at = now() where id = $1")
        .bind(r.order_id)
        .bind(r.amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives back what is left of every payment of a voided order, as refunds at `drawer` (their
/// VAT is 0: the voided sale's reversal takes all of it back).
pub async fn refund_all_payments(
    tx: &mut Tx,
    order_id: Uuid,
    reason: &str,
    created_by: Uuid,
    approved_by: Uuid,
    drawer: Option<Uuid>,
) -> Result<()> {
    sqlx::query(
        "insert into refunds (id, tenant_id, order_id, payment_id, amount, vat, reason, created_by, \
                              approved_by, drawer_session_id) \
         select gen_random_uuid(), tenant_id, order_id, id, amount - refunded, 0, $2, $3, $4, $5 \
         from payments where order_id = $1 and amount > refunded",
    )
    .bind(order_id)
    .bind(reason)
    .bind(created_by)
    .bind(approved_by)
    .bind(drawer)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update payments set refunded = amount, status = 'voided' where order_id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("update orders set refunded = paid, updated_at = now() where id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---- card payments and their recovery points ---------------------------------------------------

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
    sqlx::query("update orders set paid = paid + $2, updated_at = now() where id = $1")
        .bind(p.order_id)
        .bind(p.amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The order's payments with something left to give back, by method.
pub async fn payments_left(tx: &mut Tx, order_id: Uuid) -> Result<Vec<PaymentRef>> {
    Ok(sqlx::query_as(
        "select id, method, amount, refunded, provider, provider_ref from payments \
         where order_id = $1 and amount > refunded order by created_at, id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?)
}

// ---- settlements ------------------------------------------------------------------------------

const SETTLEMENT_COLS: &str =
    "id, branch_id, method, reference, gross, fees, net, settled_on, created_at";

/// Settlements of one branch take turns (until commit).
pub async fn lock_settlements(tx: &mut Tx, branch_id: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('settlement:' || $1::text, 0))")
        .bind(branch_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn settlement_by_reference(
    tx: &mut Tx,
    method: SettledMethod,
    reference: &str,
) -> Result<Option<Settlement>> {
    Ok(sqlx::query_as(&format!(
        "select {SETTLEMENT_COLS} from settlements where method = $1 and reference = $2"
    ))
    .bind(method)
    .bind(reference)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn settlement(tx: &mut Tx, id: Uuid) -> Result<Settlement> {
    sqlx::query_as(&format!(
        "select {SETTLEMENT_COLS} from settlements where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn settlements(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<Settlement>> {
    Ok(sqlx::query_as(&format!(
        "select {SETTLEMENT_COLS} from settlements where branch_id = $1 \
         order by settled_on desc, created_at desc limit 200"
    ))
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn insert_settlement(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    id: Uuid,
    s: &NewSettlement,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "insert into settlements (id, tenant_id, branch_id, method, reference, gross, fees, \
                                  settled_on, created_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(branch_id)
    .bind(s.method)
    .bind(&s.reference)
    .bind(s.gross)
    .bind(s.fees)
    .bind(s.settled_on)
    .bind(by)
    .execute(&mut **tx)
    .await
    .map_err(|e| match e {
        // The same reference booked for another branch at the same moment.
        sqlx::Error::Database(d)
            if d.constraint() == Some("settlements_tenant_id_method_reference_key") =>
        {
            Error::conflict(
                "settlement_reference_taken",
                "a payout with this reference was booked with other figures",
            )
        }
        other => other.into(),
    })?;
    Ok(())
}

/// Card or online payments of the branch captured, less refunds given back on them, less what
/// was settled: what the clearing account should hold.
pub async fn unsettled(tx: &mut Tx, branch_id: Uuid, method: SettledMethod) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select (coalesce((select sum(amount) from payments where branch_id = $1 and method = $2), 0) \
               - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                           where p.branch_id = $1 and p.method = $2), 0) \
               - coalesce((select sum(gross) from settlements where branch_id = $1 and method = $2), 0) \
                )::bigint",
    )
    .bind(branch_id)
    .bind(method)
    .fetch_one(&mut **tx)
    .await?)
}
