//! The SQL of order acceptance, in the caller's tenant-scoped transaction.

use platform::{db::Tx, error::Result};
use uuid::Uuid;

use super::model::AcceptanceRule;

/// The branch's rule for each channel, the defaults where it set none (the database's
/// `order_acceptance_rule`, which the acceptance trigger uses too).
pub async fn rules(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<AcceptanceRule>> {
    Ok(sqlx::query_as(
        "select c.channel, r.mode, r.timeout_minutes \
         from unnest(array['qr', 'web_pickup', 'web_delivery']) with ordinality as c (channel, n) \
         cross join lateral order_acceptance_rule($1, c.channel) r \
         order by c.n",
    )
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn set_rule(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    rule: &AcceptanceRule,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "insert into branch_order_acceptance (tenant_id, branch_id, channel, mode, \
                                              timeout_minutes, updated_by) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (branch_id, channel) do update set mode = excluded.mode, \
             timeout_minutes = excluded.timeout_minutes, updated_by = excluded.updated_by, \
             updated_at = now()",
    )
    .bind(tenant_id)
    .bind(branch_id)
    .bind(rule.channel)
    .bind(rule.mode)
    .bind(rule.timeout_minutes)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
