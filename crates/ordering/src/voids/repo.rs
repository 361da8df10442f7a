//! The SQL of line voids.

use platform::{db::Tx, error::Result};
use uuid::Uuid;

use crate::pricing::Pricing;

pub struct NewVoid<'a> {
    pub tenant_id: Uuid,
    pub order_id: Uuid,
    pub line_id: Uuid,
    pub reason: &'a str,
    pub amount: i64,
    pub voided_by: Uuid,
    pub approved_by: Option<Uuid>,
}

/// Whether the line was voided already.
pub async fn voided(tx: &mut Tx, line_id: Uuid) -> Result<bool> {
    Ok(
        sqlx::query_scalar("select exists (select 1 from order_line_voids where line_id = $1)")
            .bind(line_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Records the void; the kitchen's trigger strikes the line's items off their tickets.
pub async fn insert(tx: &mut Tx, v: &NewVoid<'_>) -> Result<()> {
    sqlx::query(
        "insert into order_line_voids (id, tenant_id, order_id, line_id, reason, amount, \
                                       voided_by, approved_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(v.tenant_id)
    .bind(v.order_id)
    .bind(v.line_id)
    .bind(v.reason)
    .bind(v.amount)
    .bind(v.voided_by)
    .bind(v.approved_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The order priced again: its stored pricing and the figures copied out of it.
pub async fn reprice(tx: &mut Tx, order_id: Uuid, pricing: &Pricing) -> Result<()> {
    sqlx::query(
        "update orders set pricing = $2, total = $3, vat = $4, tip = $5, updated_at = now() \
         where id = $1",
    )
    .bind(order_id)
    .bind(sqlx::types::Json(pricing))
    .bind(pricing.totals.total)
    .bind(pricing.totals.vat)
    .bind(pricing.totals.tip)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
