//! The SQL of refunds and of the payments they give back.

use platform::{db::Tx, error::Result};
use sqlx::FromRow;
use uuid::Uuid;

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
    ordering::api::add_refunded(tx, r.order_id, r.amount).await
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
    ordering::api::refund_all(tx, order_id).await
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
