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

/// What the books should say in one currency: the orders in it, and the payments, drawers and
/// payouts of the branches that sell in it (a branch's currency is fixed once it has books).
pub async fn expected(tx: &mut Tx, currency: &str) -> Result<Expected> {
    Ok(sqlx::query_as(
        "with b as (select id from branches where currency = $1), \
              p as (select * from payments where branch_id in (select id from b)), \
              o as (select * from order_facts where currency = $1), \
              s as (select * from settlements where currency = $1) \
         select \
           coalesce((select sum(due) from o where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint \
               as receivable, \
           (coalesce((select sum(amount) from p where method = 'cash'), 0) \
            - coalesce((select sum(r.amount) from refunds r join p on p.id = r.payment_id \
                        where p.method = 'cash'), 0) \
            + coalesce((select sum(float_amount + coalesce(over_short, 0) - coalesce(counted, 0)) \
                        from drawer_sessions where branch_id in (select id from b)), 0) \
            + coalesce((select sum(case when m.kind = 'cash_in' then m.amount else -m.amount end) \
                        from drawer_movements m join drawer_sessions d on d.id = m.session_id \
                        where d.branch_id in (select id from b)), 0))::bigint as cash, \
           (coalesce((select sum(amount) from p where method = 'card'), 0) \
            - coalesce((select sum(r.amount) from refunds r join p on p.id = r.payment_id \
                        where p.method = 'card'), 0) \
            - coalesce((select sum(gross) from s where method = 'card'), 0))::bigint as card, \
           (coalesce((select sum(amount) from p where method = 'online'), 0) \
            - coalesce((select sum(r.amount) from refunds r join p on p.id = r.payment_id \
                        where p.method = 'online'), 0) \
            - coalesce((select sum(gross) from s where method = 'online'), 0))::bigint as online, \
           coalesce((select sum(net) from s), 0)::bigint as bank, \
           coalesce((select sum(fees) from s), 0)::bigint as fees, \
           (coalesce((select sum(vat) from o where status not in ('cancelled', 'voided', 'split', 'merged')), 0) \
            - coalesce((select sum(r.vat) from refunds r join o on o.id = r.order_id \
                        where o.status not in ('cancelled', 'voided', 'split', 'merged')), 0))::bigint as vat, \
           coalesce((select sum(tip) from o where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint as tips",
    )
    .bind(currency)
    .fetch_one(&mut **tx)
    .await?)
}
