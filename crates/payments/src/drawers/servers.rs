//! The shift summary per server: for a business day of a branch, what each member of staff sold
//! (the orders they placed that stand, their total and tips) and took (cash and card payments in
//! their name, less refunds) — the cash a server owes the house when servers keep their own
//! bank, and the tips they earned.

use chrono::NaiveDate;
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    error::{Error, Result},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerReport {
    pub branch_id: Uuid,
    pub business_date: NaiveDate,
    /// One row per member of staff who placed an order or took a payment that day, by name.
    pub servers: Vec<ServerShift>,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ServerShift {
    pub staff_id: Uuid,
    #[sqlx(default)]
    pub name: String,
    /// Orders placed that stand (not cancelled, voided, split or merged).
    pub orders: i64,
    /// Their totals, tips included.
    pub sales: i64,
    pub tips: i64,
    /// Cash taken in this member's name for the day's orders, less what was refunded of it: what
    /// they hand in.
    pub cash_taken: i64,
    pub card_taken: i64,
}

/// The day's summary per server. Owners and managers see every server; anyone else of the staff
/// sees their own row.
pub async fn server_report(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    day: NaiveDate,
) -> Result<ServerReport> {
    if who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)?;
    let everyone = matches!(who.role, Role::Owner | Role::Manager);
    let mut tx = state.db.begin(who.scope()).await?;
    let mut servers: Vec<ServerShift> = sqlx::query_as(
        "with o as (select * from order_facts where branch_id = $1 and business_date = $2), \
         sold as (select placed_by as staff, count(*) as orders, sum(total)::bigint as sales, \
                         sum(tip)::bigint as tips \
                  from o where placed_by_kind = 'staff' \
                   and status not in ('cancelled', 'voided', 'split', 'merged') \
                  group by placed_by), \
         took as (select p.taken_by as staff, \
                         coalesce(sum(p.amount - p.refunded) filter (where p.method = 'cash'), 0)::bigint as cash, \
                         coalesce(sum(p.amount - p.refunded) filter (where p.method = 'card'), 0)::bigint as card \
                  from payments p join o on o.id = p.order_id \
                  where p.taken_by is not null group by p.taken_by) \
         select coalesce(s.staff, t.staff) as staff_id, coalesce(s.orders, 0) as orders, \
                coalesce(s.sales, 0) as sales, coalesce(s.tips, 0) as tips, \
                coalesce(t.cash, 0) as cash_taken, coalesce(t.card, 0) as card_taken \
         from sold s full join took t on t.staff = s.staff \
         where $3 or coalesce(s.staff, t.staff) = $4",
    )
    .bind(branch_id)
    .bind(day)
    .bind(everyone)
    .bind(who.id)
    .fetch_all(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = servers.iter().map(|s| s.staff_id).collect();
    let names = identity::api::display_names(&mut tx, &ids).await?;
    tx.commit().await?;
    for s in &mut servers {
        s.name = names.get(&s.staff_id).cloned().unwrap_or_default();
    }
    servers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ServerReport {
        branch_id,
        business_date: day,
        servers,
    })
}
