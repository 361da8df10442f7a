//! The SQL of the floor: table sessions, the tables' places on the plan, and the floor's state
//! of every table, in the caller's tenant-scoped transaction.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::{FromRow, types::Json};
use uuid::Uuid;

use super::model::{FloorOrder, PlacedTable, TableState};
use crate::tables::model::TableShape;

#[derive(Clone, Debug, FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub table_id: Uuid,
    /// The label of the table it is at now.
    pub label: String,
    pub guests: i32,
    pub server_id: Uuid,
    pub device_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub check_printed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_into: Option<Uuid>,
}

const SESSION_COLS: &str = "s.id, s.branch_id, s.table_id, t.label, s.guests, s.server_id, \
    s.device_id, s.opened_at, s.check_printed_at, s.closed_at, s.merged_into";

pub struct NewSession {
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub table_id: Uuid,
    pub guests: i32,
    pub server_id: Uuid,
    pub device_id: Option<Uuid>,
}

/// A new open session; the unique index `table_sessions_open_key` refuses a second one at the
/// table.
pub async fn insert_session(tx: &mut Tx, s: &NewSession) -> Result<Uuid> {
    Ok(sqlx::query_scalar(
        "insert into table_sessions (id, tenant_id, branch_id, table_id, guests, server_id, \
                                     device_id) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(Uuid::now_v7())
    .bind(s.tenant_id)
    .bind(s.branch_id)
    .bind(s.table_id)
    .bind(s.guests)
    .bind(s.server_id)
    .bind(s.device_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// One session with its table's label; locked for a change when `lock`.
pub async fn session(tx: &mut Tx, id: Uuid, lock: bool) -> Result<SessionRow> {
    sqlx::query_as(&format!(
        "select {SESSION_COLS} from table_sessions s join dining_tables t on t.id = s.table_id \
         where s.id = $1{}",
        if lock { " for update of s" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn set_server(tx: &mut Tx, id: Uuid, server_id: Uuid) -> Result<()> {
    sqlx::query("update table_sessions set server_id = $2 where id = $1")
        .bind(id)
        .bind(server_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_table(tx: &mut Tx, id: Uuid, table_id: Uuid) -> Result<()> {
    sqlx::query("update table_sessions set table_id = $2 where id = $1")
        .bind(id)
        .bind(table_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_check_printed(tx: &mut Tx, id: Uuid) -> Result<()> {
    sqlx::query("update table_sessions set check_printed_at = now() where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Another party joins session `id`: its guests add up, and the party counts as seated since
/// the earlier of the two sat down. A check printed before is out of date now.
pub async fn join_party(
    tx: &mut Tx,
    id: Uuid,
    guests: i32,
    opened_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "update table_sessions set guests = guests + $2, opened_at = least(opened_at, $3), \
                                   check_printed_at = null \
         where id = $1",
    )
    .bind(id)
    .bind(guests)
    .bind(opened_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends session `id`: the party left, or joined `merged_into`.
pub async fn close(tx: &mut Tx, id: Uuid, merged_into: Option<Uuid>) -> Result<()> {
    sqlx::query("update table_sessions set closed_at = now(), merged_into = $2 where id = $1")
        .bind(id)
        .bind(merged_into)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---- the floor ---------------------------------------------------------------------------

/// A table of the floor with its open session and the orders of the party at it.
#[derive(Clone, Debug, FromRow)]
pub struct FloorRow {
    pub id: Uuid,
    pub label: String,
    pub floor_area: Option<String>,
    pub seats: i32,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub shape: TableShape,
    pub rotation: i32,
    pub state: TableState,
    pub session_id: Option<Uuid>,
    pub guests: Option<i32>,
    pub server_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub opened_at: Option<DateTime<Utc>>,
    pub check_printed_at: Option<DateTime<Utc>>,
    pub minutes_seated: Option<i32>,
    pub orders: Json<Vec<FloorOrder>>,
    pub total: i64,
    pub due: i64,
    /// Orders at the table that are still open with something due.
    pub unpaid: i64,
}

/// The floor of branch `$1`: its active tables, or (with `$2`) that one table whatever it is.
///
/// The orders of a table are the dine-in orders whose `table` is its label (compared without
/// case, as labels are unique), not cancelled, voided, split or merged, that are
/// - open and still due: whoever sits there owes them;
/// - open and paid, placed after the table's last party left: a paid order nobody closed does
///   not follow the party out, nor land on the next one;
/// - of any status but those, placed since the party at the table sat down (a closed order
///   stays on the table until its party leaves).
///
/// The state is the furthest step of the meal that holds: paid, check printed (after the last
/// order, with something due), food ready, ordered, seated, free.
const FLOOR_SQL: &str = "\
with tbl as (
    select t.id, t.branch_id, t.label, t.floor_area, t.seats, t.pos_x as x, t.pos_y as y,
           t.width, t.height, t.shape, t.rotation,
           s.id as session_id, s.guests, s.server_id, s.device_id, s.opened_at,
           s.check_printed_at,
           (select max(c.closed_at) from table_sessions c
             where c.table_id = t.id and c.closed_at is not null) as released_at
    from dining_tables t
    left join table_sessions s on s.table_id = t.id and s.closed_at is null
    where t.branch_id = $1
      and (($2::uuid is null and t.active and t.archived_at is null) or t.id = $2)
),
since as (select coalesce(min(opened_at), 'infinity') as at from tbl),
candidate as (
    select f.id, f.number, f.status, f.total, f.due, f.created_at, lower(f.table_ref) as key
    from order_facts f
    where f.branch_id = $1 and f.type = 'dine_in' and f.table_ref is not null
      and (f.status not in ('closed', 'cancelled', 'voided', 'split', 'merged')
           or (f.status = 'closed' and f.created_at >= (select at from since)))
),
at_table as (
    select tbl.id as table_id, c.*
    from tbl join candidate c on c.key = lower(tbl.label)
    where (c.status <> 'closed'
           and (c.due > 0 or c.created_at > coalesce(tbl.released_at, '-infinity')))
       or (tbl.session_id is not null and c.created_at >= tbl.opened_at)
)
select tbl.id, tbl.label, tbl.floor_area, tbl.seats, tbl.x, tbl.y, tbl.width, tbl.height,
       tbl.shape, tbl.rotation, tbl.session_id, tbl.guests, tbl.server_id, tbl.device_id,
       tbl.opened_at, tbl.check_printed_at,
       floor(extract(epoch from now() - tbl.opened_at) / 60)::int as minutes_seated,
       a.orders, a.total, a.due, a.unpaid,
       case
           when tbl.session_id is null and a.n = 0 then 'free'
           when a.n > 0 and a.due <= 0 then 'paid'
           when tbl.check_printed_at >= a.last_order_at and a.due > 0 then 'check_printed'
           when a.ready > 0 then 'food_ready'
           when a.n > 0 then 'ordered'
           else 'seated'
       end as state
from tbl
cross join lateral (
    select count(*) as n, coalesce(sum(o.total), 0)::bigint as total,
           coalesce(sum(o.due), 0)::bigint as due,
           count(*) filter (where o.status = 'ready') as ready,
           count(*) filter (where o.status <> 'closed' and o.due > 0) as unpaid,
           max(o.created_at) as last_order_at,
           coalesce(json_agg(json_build_object('id', o.id, 'number', o.number,
                                               'status', o.status, 'total', o.total,
                                               'due', o.due)
                             order by o.created_at, o.id), '[]') as orders
    from at_table o where o.table_id = tbl.id
) a
order by tbl.floor_area nulls last, lower(tbl.label)";

/// The floor of a branch: every active table, by floor area then label.
pub async fn floor(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<FloorRow>> {
    Ok(sqlx::query_as(FLOOR_SQL)
        .bind(branch_id)
        .bind(None::<Uuid>)
        .fetch_all(&mut **tx)
        .await?)
}

/// One table of branch `branch_id` as the floor sees it, in service or not.
pub async fn floor_table(tx: &mut Tx, branch_id: Uuid, table_id: Uuid) -> Result<FloorRow> {
    sqlx::query_as(FLOOR_SQL)
        .bind(branch_id)
        .bind(Some(table_id))
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

// ---- the plan ------------------------------------------------------------------------------

/// Which of `ids` are tables of the branch, not archived; each found one is locked, so the
/// plan is placed on what was checked.
pub async fn lock_branch_tables(tx: &mut Tx, branch_id: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "select id from dining_tables \
         where branch_id = $1 and archived_at is null and id = any($2) \
         order by id for update",
    )
    .bind(branch_id)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?)
}

/// Places every table of `plan` (each checked by [`lock_branch_tables`]) in one statement.
pub async fn place_tables(tx: &mut Tx, branch_id: Uuid, plan: &[PlacedTable]) -> Result<u64> {
    let column = |f: fn(&PlacedTable) -> i32| plan.iter().map(f).collect::<Vec<i32>>();
    let ids: Vec<Uuid> = plan.iter().map(|t| t.id).collect();
    let shapes: Vec<&str> = plan.iter().map(|t| t.shape.as_str()).collect();
    let areas: Vec<Option<String>> = plan
        .iter()
        .map(|t| t.floor_area.as_deref().map(|a| a.trim().to_string()))
        .collect();
    Ok(sqlx::query(
        "update dining_tables d \
         set pos_x = u.x, pos_y = u.y, width = u.w, height = u.h, shape = u.shape, \
             rotation = u.r, seats = u.seats, floor_area = u.area, updated_at = now() \
         from unnest($2::uuid[], $3::int[], $4::int[], $5::int[], $6::int[], $7::text[], \
                     $8::int[], $9::int[], $10::text[]) as u(id, x, y, w, h, shape, r, seats, area) \
         where d.id = u.id and d.branch_id = $1 and d.archived_at is null",
    )
    .bind(branch_id)
    .bind(ids)
    .bind(column(|t| t.x))
    .bind(column(|t| t.y))
    .bind(column(|t| t.width))
    .bind(column(|t| t.height))
    .bind(shapes)
    .bind(column(|t| t.rotation))
    .bind(column(|t| t.seats))
    .bind(areas)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}
