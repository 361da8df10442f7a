//! What the books should say, from the orders (through ordering's `order_facts`) and the
//! payments themselves.

use platform::{db::Tx, error::Result};
use sqlx::FromRow;

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
           coalesce((select sum(due) from order_facts where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint \
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
           (coalesce((select sum(vat) from order_facts where status not in ('cancelled', 'voided', 'split', 'merged')), 0) \
            - coalesce((select sum(r.vat) from refunds r join order_facts o on o.id = r.order_id \
                        where o.status not in ('cancelled', 'voided', 'split', 'merged')), 0))::bigint as vat, \
           coalesce((select sum(tip) from order_facts where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint as tips",
    )
    .fetch_one(&mut **tx)
    .await?)
}
