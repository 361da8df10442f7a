//! SQL of the kitchen: tickets, their items, stations and settings.

use chrono::{DateTime, Utc};
use platform::{db::Tx, error::Error, error::Result};
use sqlx::FromRow;
use uuid::Uuid;

/// How long a bump may be recalled when the branch has not said otherwise.
pub const DEFAULT_RECALL_SECONDS: i32 = 120;

#[derive(Debug, Clone, FromRow)]
pub struct TicketRow {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub station: String,
    pub station_name: String,
    pub station_name_ar: Option<String>,
    pub status: String,
    pub rush: bool,
    pub created_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub bumped_at: Option<DateTime<Utc>>,
    pub number: i32,
    pub order_type: String,
    pub table_ref: Option<String>,
    pub order_notes: Option<String>,
}

const TICKET_COLS: &str = "k.id, k.branch_id, k.order_id, s.code as station, s.name as station_name, \
    s.name_ar as station_name_ar, k.status, k.rush, k.created_at, k.fired_at, k.started_at, \
    k.bumped_at, o.number, o.type as order_type, o.table_ref, o.notes as order_notes";
const TICKET_FROM: &str = "kitchen_tickets k join kitchen_stations s on s.id = k.station_id \
    join order_facts o on o.id = k.order_id";

#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub quantity: i32,
    pub selection: serde_json::Value,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
    pub prep_seconds: Option<i32>,
    pub held: bool,
    pub done_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
}

/// One ticket; `lock` takes its row lock (after the order's: every writer locks the order
/// first, so two stations bumping the same order serialise instead of deadlocking).
pub async fn ticket(tx: &mut Tx, id: Uuid, lock: bool) -> Result<TicketRow> {
    sqlx::query_as(&format!(
        "select {TICKET_COLS} from {TICKET_FROM} where k.id = $1 {}",
        if lock { "for update of k" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// The open (not bumped) tickets of a branch, optionally of one station: rush first, then
/// oldest first (by when their items reached the kitchen).
pub async fn open_tickets(
    tx: &mut Tx,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Vec<TicketRow>> {
    Ok(sqlx::query_as(&format!(
        "select {TICKET_COLS} from {TICKET_FROM} \
         where k.branch_id = $1 and k.status <> 'bumped' and ($2::text is null or s.code = $2) \
           and o.status not in ('cancelled', 'voided') \
         order by k.rush desc, coalesce(k.fired_at, k.created_at), k.created_at, k.id"
    ))
    .bind(branch_id)
    .bind(station)
    .fetch_all(&mut **tx)
    .await?)
}

/// How far back, and how many, bumped tickets the kitchen screen lists for a recall.
pub const BUMPED_HOURS: i32 = 2;
pub const BUMPED_LIMIT: i64 = 30;

/// The branch's tickets bumped in the last [`BUMPED_HOURS`] whose order can still be recalled
/// (not served, picked up, sent out, cancelled or voided), newest bump first.
pub async fn bumped_tickets(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Vec<TicketRow>> {
    Ok(sqlx::query_as(&format!(
        "select {TICKET_COLS} from {TICKET_FROM} \
         where k.tenant_id = $1 and k.branch_id = $2 and k.status = 'bumped' \
           and k.bumped_at > now() - make_interval(hours => $3) \
           and ($4::text is null or s.code = $4) \
           and o.status in ('accepted', 'preparing', 'ready') \
         order by k.bumped_at desc, k.id limit $5"
    ))
    .bind(tenant_id)
    .bind(branch_id)
    .bind(BUMPED_HOURS)
    .bind(station)
    .bind(BUMPED_LIMIT)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn order_tickets(tx: &mut Tx, order_id: Uuid) -> Result<Vec<TicketRow>> {
    Ok(sqlx::query_as(&format!(
        "select {TICKET_COLS} from {TICKET_FROM} where k.order_id = $1 order by s.position, s.code"
    ))
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn items(tx: &mut Tx, ticket_ids: &[Uuid]) -> Result<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "select id, ticket_id, name, name_ar, quantity, selection, notes, seat, course, \
                prep_seconds, held, done_at, voided_at \
         from kitchen_ticket_items where ticket_id = any($1) \
         order by course nulls first, seat nulls first, name, id",
    )
    .bind(ticket_ids)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn station_exists(tx: &mut Tx, branch_id: Uuid, code: &str) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from kitchen_stations where branch_id = $1 and code = $2)",
    )
    .bind(branch_id)
    .bind(code)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn set_status(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    started: bool,
    bumped: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query(
        "update kitchen_tickets set status = $2, \
           started_at = case when $3 then coalesce(started_at, now()) else started_at end, \
           bumped_at = $4, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(started)
    .bind(bumped)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_rush(tx: &mut Tx, id: Uuid, rush: bool) -> Result<()> {
    sqlx::query("update kitchen_tickets set rush = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(rush)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks every fired, unfinished item of the ticket done at `at`; returns how many items are
/// still held.
pub async fn finish_fired_items(tx: &mut Tx, ticket_id: Uuid, at: DateTime<Utc>) -> Result<i64> {
    sqlx::query(
        "update kitchen_ticket_items set done_at = $2 \
         where ticket_id = $1 and not held and done_at is null",
    )
    .bind(ticket_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "select count(*) from kitchen_ticket_items where ticket_id = $1 and held",
    )
    .bind(ticket_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Undoes a bump: the items it finished (done at the bump's instant) are open again.
pub async fn reopen_items(tx: &mut Tx, ticket_id: Uuid, bumped_at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "update kitchen_ticket_items set done_at = null where ticket_id = $1 and done_at = $2",
    )
    .bind(ticket_id)
    .bind(bumped_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks one fired item done; `None` when the item is not on this ticket, `Some(false)` when
/// it is held.
pub async fn item_done(tx: &mut Tx, ticket_id: Uuid, item_id: Uuid) -> Result<Option<bool>> {
    let held: Option<bool> = sqlx::query_scalar(
        "select held from kitchen_ticket_items where id = $1 and ticket_id = $2 for update",
    )
    .bind(item_id)
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    match held {
        None => Ok(None),
        Some(true) => Ok(Some(false)),
        Some(false) => {
            sqlx::query(
                "update kitchen_ticket_items set done_at = coalesce(done_at, now()) where id = $1",
            )
            .bind(item_id)
            .execute(&mut **tx)
            .await?;
            Ok(Some(true))
        }
    }
}

pub async fn recall_seconds(tx: &mut Tx, branch_id: Uuid) -> Result<i32> {
    Ok(sqlx::query_scalar::<_, i32>(
        "select recall_seconds from kitchen_settings where branch_id = $1",
    )
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(DEFAULT_RECALL_SECONDS))
}

pub async fn set_recall_seconds(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    seconds: i32,
) -> Result<()> {
    sqlx::query(
        "insert into kitchen_settings (branch_id, tenant_id, recall_seconds) values ($1, $2, $3) \
         on conflict (branch_id) do update set recall_seconds = excluded.recall_seconds",
    )
    .bind(branch_id)
    .bind(tenant_id)
    .bind(seconds)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Fires the order's next held course: its items leave the hold, and tickets that were wholly
/// held come to the kitchen now. Returns the course fired and the tickets it reached.
pub async fn fire_next_course(tx: &mut Tx, order_id: Uuid) -> Result<Option<(i32, Vec<Uuid>)>> {
    let course: Option<i32> = sqlx::query_scalar(
        "select min(ti.course) from kitchen_ticket_items ti \
         join kitchen_tickets k on k.id = ti.ticket_id where k.order_id = $1 and ti.held",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let Some(course) = course else {
        return Ok(None);
    };
    let tickets: Vec<Uuid> = sqlx::query_scalar(
        "with fired as ( \
           update kitchen_ticket_items ti set held = false from kitchen_tickets k \
           where k.id = ti.ticket_id and k.order_id = $1 and ti.held and ti.course = $2 \
           returning ti.ticket_id) \
         select distinct ticket_id from fired",
    )
    .bind(order_id)
    .bind(course)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "update kitchen_tickets set status = case when status = 'held' then 'new' else status end, \
           fired_at = case when status = 'held' then now() else fired_at end, updated_at = now() \
         where id = any($1)",
    )
    .bind(&tickets)
    .execute(&mut **tx)
    .await?;
    Ok(Some((course, tickets)))
}

/// Whether every ticket of the order is bumped (and it has at least one).
pub async fn all_bumped(tx: &mut Tx, order_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select count(*) > 0 and bool_and(status = 'bumped') from kitchen_tickets where order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct AllDayRow {
    pub name: String,
    pub name_ar: Option<String>,
    pub quantity: i64,
}

/// How many of each item are still to make across the branch's open tickets (fired, not done).
pub async fn all_day(
    tx: &mut Tx,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Vec<AllDayRow>> {
    Ok(sqlx::query_as(
        "select ti.name, min(ti.name_ar) as name_ar, sum(ti.quantity)::bigint as quantity \
         from kitchen_ticket_items ti \
         join kitchen_tickets k on k.id = ti.ticket_id \
         join kitchen_stations s on s.id = k.station_id \
         join order_facts o on o.id = k.order_id \
         where k.branch_id = $1 and k.status <> 'bumped' and not ti.held and ti.done_at is null \
           and ti.voided_at is null and o.status not in ('cancelled', 'voided') \
           and ($2::text is null or s.code = $2) \
         group by ti.name order by quantity desc, ti.name",
    )
    .bind(branch_id)
    .bind(station)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct StationRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub kind: String,
    pub position: i32,
}

pub async fn stations(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<StationRow>> {
    Ok(sqlx::query_as(
        "select id, code, name, name_ar, kind, position from kitchen_stations \
         where branch_id = $1 order by position, code",
    )
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn branch_exists(tx: &mut Tx, branch_id: Uuid) -> Result<bool> {
    Ok(
        sqlx::query_scalar("select exists(select 1 from branches where id = $1)")
            .bind(branch_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

pub async fn branch_names(tx: &mut Tx, branch_id: Uuid) -> Result<(String, Option<String>)> {
    sqlx::query_as("select name, name_ar from branches where id = $1")
        .bind(branch_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

/// Adds a station to a branch; `false` when the code is taken there.
pub async fn insert_station(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    s: &crate::model::NewStation,
) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "insert into kitchen_stations (id, tenant_id, branch_id, code, name, name_ar, kind, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (branch_id, code) do nothing \
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(&s.code)
    .bind(&s.name)
    .bind(&s.name_ar)
    .bind(s.kind.as_deref().unwrap_or("prep"))
    .bind(s.position.unwrap_or(0))
    .fetch_optional(&mut **tx)
    .await?)
}

/// Routes a category to a station of the branch (replacing its previous route).
pub async fn route_category(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    category_id: Uuid,
    station_code: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "insert into kitchen_category_routes (tenant_id, branch_id, category_id, station_id) \
         select $1, $2, c.id, s.id from categories c, kitchen_stations s \
         where c.id = $3 and s.branch_id = $2 and s.code = $4 and s.kind = 'prep' \
         on conflict (branch_id, category_id) do update set station_id = excluded.station_id",
    )
    .bind(tenant_id)
    .bind(branch_id)
    .bind(category_id)
    .bind(station_code)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
