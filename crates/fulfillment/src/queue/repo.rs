//! SQL of the queue.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub kind: String,
    pub name: String,
    pub size: i32,
    pub phone: Option<String>,
    pub order_id: Option<Uuid>,
    pub guest_id: Option<Uuid>,
    pub status: String,
    pub joined_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub position: Option<i32>,
    pub estimated_wait_minutes: Option<i32>,
}

const ENTRY_SELECT: &str = "select e.id, e.tenant_id, e.branch_id, e.kind, e.name, e.size, e.phone, \
    e.order_id, e.guest_id, e.status, e.joined_at, e.ended_at, q.position, q.estimated_wait_minutes \
    from queue_entries e left join queue_estimates(e.branch_id) q on q.entry_id = e.id";

/// Serialises the changes to one branch's queue, so positions are handed out one at a time.
pub async fn lock(tx: &mut Tx, branch_id: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('queue:' || $1::text, 0))")
        .bind(branch_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub struct NewEntry<'a> {
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub kind: &'a str,
    pub name: &'a str,
    pub size: i32,
    pub phone: Option<&'a str>,
    pub order_id: Option<Uuid>,
    pub guest_id: Option<Uuid>,
    pub created_by: Uuid,
}

/// Adds an entry at the end of its line (the caller holds the branch's queue lock).
pub async fn insert(tx: &mut Tx, e: &NewEntry<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into queue_entries (id, tenant_id, branch_id, kind, name, size, phone, order_id, \
           guest_id, created_by, position_at_join) \
         values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10, \
           1 + (select count(*) from queue_entries where branch_id = $3 and kind = $4 \
                and status = 'waiting'))",
    )
    .bind(id)
    .bind(e.tenant_id)
    .bind(e.branch_id)
    .bind(e.kind)
    .bind(e.name)
    .bind(e.size)
    .bind(e.phone)
    .bind(e.order_id)
    .bind(e.guest_id)
    .bind(e.created_by)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn entry(tx: &mut Tx, id: Uuid) -> Result<EntryRow> {
    sqlx::query_as(&format!("{ENTRY_SELECT} where e.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

/// An order's entry in the pickup line (an order joins it at most once).
pub async fn entry_of_order(tx: &mut Tx, order_id: Uuid) -> Result<EntryRow> {
    sqlx::query_as(&format!("{ENTRY_SELECT} where e.order_id = $1"))
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

/// The branch's waiting entries, each line in order.
pub async fn waiting(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<EntryRow>> {
    Ok(sqlx::query_as(&format!(
        "{ENTRY_SELECT} where e.branch_id = $1 and e.status = 'waiting' order by e.kind, q.position"
    ))
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn guest_waiting(tx: &mut Tx, branch_id: Uuid, guest_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from queue_entries where branch_id = $1 and guest_id = $2 \
         and status = 'waiting')",
    )
    .bind(branch_id)
    .bind(guest_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Ends a waiting entry; false when it was not waiting.
pub async fn end(tx: &mut Tx, id: Uuid, status: &str) -> Result<bool> {
    Ok(sqlx::query(
        "update queue_entries set status = $2, ended_at = now() where id = $1 and status = 'waiting'",
    )
    .bind(id)
    .bind(status)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}
