//! The SQL of a branch's service charge, in the caller's tenant-scoped transaction.

use platform::{db::Tx, error::Result};
use uuid::Uuid;

use super::model::ServiceCharge;
use crate::lifecycle::OrderType;

pub async fn service_charge(tx: &mut Tx, branch_id: Uuid) -> Result<Option<ServiceCharge>> {
    let row: Option<(i32, Vec<OrderType>)> = sqlx::query_as(
        "select rate_bp, order_types from branch_service_charges where branch_id = $1",
    )
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(rate, types)| ServiceCharge {
        rate_bp: rate.max(0) as u32,
        order_types: types,
    }))
}

pub async fn set_service_charge(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    s: &ServiceCharge,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "insert into branch_service_charges (branch_id, tenant_id, rate_bp, order_types, updated_by) \
         values ($1, $2, $3, $4, $5) \
         on conflict (branch_id) do update set rate_bp = excluded.rate_bp, \
             order_types = excluded.order_types, updated_by = excluded.updated_by, updated_at = now()",
    )
    .bind(branch_id)
    .bind(tenant_id)
    .bind(s.rate_bp as i32)
    .bind(&s.order_types)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
