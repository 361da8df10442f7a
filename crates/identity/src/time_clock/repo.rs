//! SQL of the time clock: `time_entries` and `time_breaks`. The seconds worked and on break are
//! worked out by the SQL function `time_entry_seconds`, so every answer and any later report
//! count them the same way.

use chrono::{DateTime, NaiveDate, Utc};
use platform::{
    db::Tx,
    error::{Error, Result, ResultExt},
};
use sqlx::FromRow;
use uuid::Uuid;

use super::model::{BreakInput, TimeBreak};

#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub clock_in: DateTime<Utc>,
    pub clock_out: Option<DateTime<Utc>>,
    pub device_id: Option<Uuid>,
    pub clocked_in_by: Uuid,
    pub clocked_out_by: Option<Uuid>,
    pub note: Option<String>,
    pub edited_by: Option<Uuid>,
    pub edited_at: Option<DateTime<Utc>>,
    pub worked_seconds: i64,
    pub break_seconds: i64,
}

/// Entries with their figures and their person's name; `filter` is the query's `where` (on `e`,
/// `time_entries`) and `order by`.
fn select_entries(filter: &str) -> String {
    format!(
        "select e.id, e.branch_id, e.user_id, u.display_name, e.clock_in, e.clock_out, e.device_id, \
           e.clocked_in_by, e.clocked_out_by, e.note, e.edited_by, e.edited_at, \
           s.worked_seconds, s.break_seconds \
         from time_entries e \
         cross join lateral time_entry_seconds(e) s \
         join users u on u.id = e.user_id \
         {filter}"
    )
}

fn overlapping() -> Error {
    Error::conflict(
        "overlapping_entry",
        "this person has another entry at that time",
    )
}

pub async fn entry(tx: &mut Tx, id: Uuid) -> Result<EntryRow> {
    sqlx::query_as(&select_entries("where e.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

/// Takes the entry's row lock (a correction against a clock-out of the same entry).
pub async fn lock(tx: &mut Tx, id: Uuid) -> Result<()> {
    sqlx::query_scalar::<_, Uuid>("select id from time_entries where id = $1 for update")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(())
}

/// The person's open entry, whatever the branch; `lock` takes its row lock, so two requests of
/// the same person (a double tap) change it one after the other.
pub async fn open_entry(tx: &mut Tx, user_id: Uuid, lock: bool) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar(&format!(
        "select id from time_entries where user_id = $1 and clock_out is null {}",
        if lock { "for update" } else { "" }
    ))
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub struct NewEntry<'a> {
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
    pub clocked_in_by: Uuid,
    pub note: Option<&'a str>,
}

/// Opens an entry now; `None` when the person has an open one already (at any branch).
pub async fn clock_in(tx: &mut Tx, e: &NewEntry<'_>) -> Result<Option<Uuid>> {
    sqlx::query_scalar(
        "insert into time_entries (id, tenant_id, branch_id, user_id, clock_in, device_id, \
           clocked_in_by, note) \
         values ($1, $2, $3, $4, now(), $5, $6, $7) \
         on conflict (tenant_id, user_id) where clock_out is null do nothing returning id",
    )
    .bind(Uuid::now_v7())
    .bind(e.tenant_id)
    .bind(e.branch_id)
    .bind(e.user_id)
    .bind(e.device_id)
    .bind(e.clocked_in_by)
    .bind(e.note)
    .fetch_optional(&mut **tx)
    .await
    .on_constraint("time_entries_no_overlap", overlapping)
}

/// Closes an open entry now, ending its open break at the same moment. `greatest`: a system
/// clock stepped back must not make the clock-out refuse.
pub async fn clock_out(tx: &mut Tx, id: Uuid, by: Uuid) -> Result<()> {
    sqlx::query(
        "with closed as ( \
           update time_entries set clock_out = greatest(now(), clock_in + interval '1 millisecond'), \
                  clocked_out_by = $2 \
           where id = $1 and clock_out is null returning id, clock_out) \
         update time_breaks k set ended_at = greatest(k.started_at, c.clock_out) \
         from closed c where k.entry_id = c.id and k.ended_at is null",
    )
    .bind(id)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Starts a break now; `None` when the entry is on one already. Never before the entry or the
/// end of its last break, whatever the system clock did in between.
pub async fn start_break(tx: &mut Tx, entry_id: Uuid, paid: bool) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "insert into time_breaks (id, tenant_id, entry_id, started_at, paid) \
         select $1, e.tenant_id, e.id, \
                greatest(now(), e.clock_in, (select max(k.ended_at) from time_breaks k \
                                             where k.tenant_id = e.tenant_id and k.entry_id = e.id)), $3 \
         from time_entries e where e.id = $2 \
         on conflict (tenant_id, entry_id) where ended_at is null do nothing returning id",
    )
    .bind(Uuid::now_v7())
    .bind(entry_id)
    .bind(paid)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Ends the entry's open break now; false when it is on none.
pub async fn end_break(tx: &mut Tx, entry_id: Uuid) -> Result<bool> {
    let ended = sqlx::query(
        "update time_breaks set ended_at = greatest(now(), started_at) \
         where entry_id = $1 and ended_at is null",
    )
    .bind(entry_id)
    .execute(&mut **tx)
    .await?;
    Ok(ended.rows_affected() > 0)
}

/// The breaks of `entries`, each entry's in the order taken.
pub async fn breaks(tx: &mut Tx, entries: &[Uuid]) -> Result<Vec<(Uuid, TimeBreak)>> {
    #[derive(FromRow)]
    struct Row {
        entry_id: Uuid,
        #[sqlx(flatten)]
        b: TimeBreak,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select entry_id, id, started_at, ended_at, paid from time_breaks \
         where entry_id = any($1) order by entry_id, started_at",
    )
    .bind(entries)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.entry_id, r.b)).collect())
}

/// The entries of a branch that began on the branch's days `from` to `to` (its own dates, in
/// its time zone), oldest first; only `user_id`'s when given.
pub async fn sheet(
    tx: &mut Tx,
    branch_id: Uuid,
    time_zone: &str,
    (from, to): (NaiveDate, NaiveDate),
    user_id: Option<Uuid>,
) -> Result<Vec<EntryRow>> {
    // The day's bounds as instants, so the index on (branch, clock_in) serves the range.
    Ok(sqlx::query_as(&select_entries(
        "where e.branch_id = $1 \
           and e.clock_in >= ($2::date::timestamp at time zone $4) \
           and e.clock_in < (($3::date + 1)::timestamp at time zone $4) \
           and ($5::uuid is null or e.user_id = $5) \
         order by e.clock_in, e.id",
    ))
    .bind(branch_id)
    .bind(from)
    .bind(to)
    .bind(time_zone)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// A branch's time zone and today's date there; `None` for an unknown branch.
pub async fn branch_day(tx: &mut Tx, branch_id: Uuid) -> Result<Option<(String, NaiveDate)>> {
    Ok(sqlx::query_as(
        "select time_zone, (now() at time zone time_zone)::date from branches where id = $1",
    )
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Whether a branch may be clocked in at: `None` unknown, `Some(false)` archived.
pub async fn branch_in_use(tx: &mut Tx, branch_id: Uuid) -> Result<Option<bool>> {
    Ok(
        sqlx::query_scalar("select status <> 'archived' from branches where id = $1")
            .bind(branch_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// A manager's correction: the entry's times (closing it when open), and its breaks when given
/// (replacing the recorded ones); without them, an open break ends at the clock-out.
pub async fn correct(
    tx: &mut Tx,
    id: Uuid,
    (clock_in, clock_out): (DateTime<Utc>, DateTime<Utc>),
    breaks: Option<&[BreakInput]>,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "update time_entries set clock_in = $2, clock_out = $3, \
           clocked_out_by = coalesce(clocked_out_by, $4), edited_by = $4, edited_at = now() \
         where id = $1",
    )
    .bind(id)
    .bind(clock_in)
    .bind(clock_out)
    .bind(by)
    .execute(&mut **tx)
    .await
    .on_constraint("time_entries_no_overlap", overlapping)?;
    let Some(breaks) = breaks else {
        sqlx::query(
            "update time_breaks set ended_at = greatest(started_at, $2) \
             where entry_id = $1 and ended_at is null",
        )
        .bind(id)
        .bind(clock_out)
        .execute(&mut **tx)
        .await?;
        return Ok(());
    };
    sqlx::query("delete from time_breaks where entry_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let ids: Vec<Uuid> = breaks.iter().map(|_| Uuid::now_v7()).collect();
    let starts: Vec<DateTime<Utc>> = breaks.iter().map(|b| b.started_at).collect();
    let ends: Vec<DateTime<Utc>> = breaks.iter().map(|b| b.ended_at).collect();
    let paid: Vec<bool> = breaks.iter().map(|b| b.paid).collect();
    sqlx::query(
        "insert into time_breaks (id, tenant_id, entry_id, started_at, ended_at, paid) \
         select b.id, e.tenant_id, e.id, b.started_at, b.ended_at, b.paid \
         from time_entries e, unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::bool[]) \
              as b (id, started_at, ended_at, paid) \
         where e.id = $1",
    )
    .bind(id)
    .bind(&ids)
    .bind(&starts)
    .bind(&ends)
    .bind(&paid)
    .execute(&mut **tx)
    .await
    .on_constraint("time_breaks_no_overlap", || {
        Error::invalid("breaks", "breaks must not overlap")
    })?;
    Ok(())
}

/// When a member is disabled: their open entry closes now, unless they still hold another
/// enabled membership of the brand (they may still be at work in that role).
pub async fn close_when_disabled(tx: &mut Tx, user_id: Uuid, by: Uuid) -> Result<()> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "select e.id from time_entries e \
         where e.user_id = $1 and e.clock_out is null \
           and not exists (select 1 from memberships m \
                           where m.user_id = $1 and m.disabled_at is null) \
         for update of e",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = id {
        clock_out(tx, id, by).await?;
    }
    Ok(())
}
