//! SQL of the outbox.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use super::{Channel, Event, Position};
use crate::{db::Tx, error::Result};

pub struct NewEvent<'a> {
    pub tenant_id: Uuid,
    pub branch_id: Option<Uuid>,
    pub channel: Channel,
    pub stream: &'a str,
    pub kind: &'a str,
    pub audience: Option<Uuid>,
    pub payload: Value,
}

/// Appends an event in the caller's transaction: it is visible (and announced) only if that
/// transaction commits.
pub async fn append(tx: &mut Tx, e: NewEvent<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "insert into events (tenant_id, branch_id, channel, stream, type, audience, payload) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(e.tenant_id)
    .bind(e.branch_id)
    .bind(e.channel.as_str())
    .bind(e.stream)
    .bind(e.kind)
    .bind(e.audience)
    .bind(e.payload)
    .fetch_one(&mut **tx)
    .await?)
}

const COLS: &str = "id, tx_id::text::bigint as tx_id, tenant_id, branch_id, channel, stream, type, \
                    audience, payload, created_at";

fn from_row(row: PgRow) -> Result<Event> {
    let channel: String = row.try_get("channel")?;
    Ok(Event {
        id: row.try_get("id")?,
        tx_id: row.try_get::<i64, _>("tx_id")? as u64,
        tenant_id: row.try_get("tenant_id")?,
        branch_id: row.try_get("branch_id")?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| anyhow::anyhow!("unknown channel {channel}"))?,
        stream: row.try_get("stream")?,
        kind: row.try_get("type")?,
        audience: row.try_get("audience")?,
        payload: row.try_get("payload")?,
        created_at: row.try_get::<DateTime<Utc>, _>("created_at")?,
        encoded: Default::default(),
    })
}

/// Events after `after` whose transactions have certainly finished, in delivery order. Under
/// RLS (the app role) this returns the scoped tenant's events only.
pub async fn after<'e>(
    exec: impl PgExecutor<'e>,
    after: Position,
    limit: i64,
) -> Result<Vec<Event>> {
    sqlx::query(&format!(
        "select {COLS} from events \
         where (tx_id, id) > ($1::text::xid8, $2) \
           and tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by tx_id, id limit $3"
    ))
    .bind(after.tx_id.to_string())
    .bind(after.id)
    .bind(limit)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(from_row)
    .collect()
}

/// Which replay index a resuming client's events are read through: its branch, or the
/// customer or guest the events are addressed to. Either way the tenant leads, so a replay
/// never walks another brand's events.
#[derive(Clone, Copy, Debug)]
pub enum ReplayKey {
    Branch(Uuid),
    Audience(Uuid),
}

/// Up to `limit` events of `tenant_id` and `key` after `after`, final for sure, in delivery
/// order (`events_replay_branch_idx` / `events_replay_audience_idx`).
pub async fn replay_after<'e>(
    exec: impl PgExecutor<'e>,
    tenant_id: Uuid,
    key: ReplayKey,
    after: Position,
    limit: i64,
) -> Result<Vec<Event>> {
    let (column, value) = match key {
        ReplayKey::Branch(b) => ("branch_id", b),
        ReplayKey::Audience(a) => ("audience", a),
    };
    sqlx::query(&replay_sql(column))
        .bind(tenant_id)
        .bind(value)
        .bind(after.tx_id.to_string())
        .bind(after.id)
        .bind(limit)
        .fetch_all(exec)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The replay statement for `branch_id` or `audience` (a column name, never input).
pub fn replay_sql(column: &str) -> String {
    format!(
        "select {COLS} from events \
         where tenant_id = $1 and {column} = $2 \
           and (tx_id, id) > ($3::text::xid8, $4) \
           and tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by tx_id, id limit $5"
    )
}

/// The position up to which every event is final right now: a reader starting here misses
/// nothing that commits later.
pub async fn head<'e>(exec: impl PgExecutor<'e>) -> Result<Position> {
    let row = sqlx::query(
        "select tx_id::text::bigint as tx_id, id from events \
         where tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by tx_id desc, id desc limit 1",
    )
    .fetch_optional(exec)
    .await?;
    Ok(row.map_or(Position::default(), |row| Position {
        tx_id: row.get::<i64, _>("tx_id") as u64,
        id: row.get("id"),
    }))
}

/// The position of event `id` (for `Last-Event-ID`), if it exists and is visible.
pub async fn position_of<'e>(exec: impl PgExecutor<'e>, id: i64) -> Result<Option<Position>> {
    Ok(
        sqlx::query("select tx_id::text::bigint as tx_id, id from events where id = $1")
            .bind(id)
            .fetch_optional(exec)
            .await?
            .map(|row| Position {
                tx_id: row.get::<i64, _>("tx_id") as u64,
                id: row.get("id"),
            }),
    )
}
