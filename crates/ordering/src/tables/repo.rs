//! The SQL of dining tables, in the caller's tenant-scoped transaction.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::FromRow;
use uuid::Uuid;

use super::model::TableShape;

/// A dining table as staff see it (with its QR token).
#[derive(Clone, Debug, FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiningTable {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub label: String,
    pub floor_area: Option<String>,
    pub seats: i32,
    /// What the table's QR code carries: the guest app opens `/t/{qrToken}`.
    pub qr_token: String,
    pub active: bool,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Its place on the floor plan (0–1000 units, top-left corner), size and turn.
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub shape: TableShape,
    pub rotation: i32,
}

const TABLE_COLS: &str = "id, branch_id, label, floor_area, seats, qr_token, active, archived_at, \
    created_at, pos_x as x, pos_y as y, width, height, shape, rotation";

pub struct TableFields<'a> {
    pub label: &'a str,
    pub floor_area: Option<&'a str>,
    pub seats: i32,
    pub active: bool,
    pub layout: Layout,
}

/// A table's place on the plan as given; what is left out is defaulted (a new table) or kept
/// (a change).
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    pub x: Option<i32>,
    pub y: Option<i32>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub shape: Option<TableShape>,
    pub rotation: Option<i32>,
}

pub async fn insert_table(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    f: &TableFields<'_>,
    qr_token: &str,
) -> Result<DiningTable> {
    // Without a place, the table takes the next cell of an 8-wide grid (as the migration laid
    // out the tables made before the plan), pulled in where its size would leave the plan.
    Ok(sqlx::query_as(&format!(
        "with slot as (select count(*)::int as n from dining_tables \
                       where branch_id = $3 and archived_at is null) \
         insert into dining_tables (id, tenant_id, branch_id, label, floor_area, seats, qr_token, \
                                    active, pos_x, pos_y, width, height, shape, rotation) \
         select $1, $2, $3, $4, $5, $6, $7, $8, \
                coalesce($9, least(20 + n % 8 * 120, 1000 - coalesce($11, 80))), \
                coalesce($10, least(20 + n / 8 % 8 * 120, 1000 - coalesce($12, 80))), \
                coalesce($11, 80), coalesce($12, 80), coalesce($13, 'rect'), coalesce($14, 0) \
         from slot returning {TABLE_COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(f.label)
    .bind(f.floor_area)
    .bind(f.seats)
    .bind(qr_token)
    .bind(f.active)
    .bind(f.layout.x)
    .bind(f.layout.y)
    .bind(f.layout.width)
    .bind(f.layout.height)
    .bind(f.layout.shape)
    .bind(f.layout.rotation)
    .fetch_one(&mut **tx)
    .await?)
}

/// The branch's tables, archived ones left out, by floor area then label.
pub async fn tables(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<DiningTable>> {
    Ok(sqlx::query_as(&format!(
        "select {TABLE_COLS} from dining_tables where branch_id = $1 and archived_at is null \
         order by floor_area nulls last, lower(label)"
    ))
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// A table that is not archived, locked when `lock`.
pub async fn table(tx: &mut Tx, id: Uuid, lock: bool) -> Result<DiningTable> {
    sqlx::query_as(&format!(
        "select {TABLE_COLS} from dining_tables where id = $1 and archived_at is null{}",
        if lock { " for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn update_table(tx: &mut Tx, id: Uuid, f: &TableFields<'_>) -> Result<DiningTable> {
    Ok(sqlx::query_as(&format!(
        "update dining_tables set label = $2, floor_area = $3, seats = $4, active = $5, \
                pos_x = coalesce($6, pos_x), pos_y = coalesce($7, pos_y), \
                width = coalesce($8, width), height = coalesce($9, height), \
                shape = coalesce($10, shape), rotation = coalesce($11, rotation), \
                updated_at = now() \
         where id = $1 returning {TABLE_COLS}"
    ))
    .bind(id)
    .bind(f.label)
    .bind(f.floor_area)
    .bind(f.seats)
    .bind(f.active)
    .bind(f.layout.x)
    .bind(f.layout.y)
    .bind(f.layout.width)
    .bind(f.layout.height)
    .bind(f.layout.shape)
    .bind(f.layout.rotation)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn set_table_token(tx: &mut Tx, id: Uuid, qr_token: &str) -> Result<DiningTable> {
    Ok(sqlx::query_as(&format!(
        "update dining_tables set qr_token = $2, updated_at = now() where id = $1 \
         returning {TABLE_COLS}"
    ))
    .bind(id)
    .bind(qr_token)
    .fetch_one(&mut **tx)
    .await?)
}

/// Archives the table and abandons its open cart, if any (its lines were never ordered).
pub async fn archive_table(tx: &mut Tx, id: Uuid) -> Result<()> {
    sqlx::query(
        "update carts set status = 'abandoned', version = version + 1, updated_at = now() \
         where table_id = $1 and status = 'open'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update dining_tables set archived_at = now(), updated_at = now() where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The brand of an active table's QR token (read before any tenant scope is set).
pub async fn table_tenant_by_token(tx: &mut Tx, token: &str) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("select dining_table_tenant($1)")
        .bind(token)
        .fetch_one(&mut **tx)
        .await?)
}

pub async fn table_by_token(tx: &mut Tx, token: &str) -> Result<DiningTable> {
    sqlx::query_as(&format!(
        "select {TABLE_COLS} from dining_tables \
         where qr_token = $1 and active and archived_at is null"
    ))
    .bind(token)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// Inserts the demo's tables of a branch at their places on the plan; labels already there are
/// left alone, and so is where a manager put them.
pub async fn seed_table(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    f: &TableFields<'_>,
    qr_token: &str,
) -> Result<()> {
    sqlx::query(
        "insert into dining_tables (id, tenant_id, branch_id, label, floor_area, seats, qr_token, \
                                    pos_x, pos_y, width, height, shape, rotation) \
         values ($1, $2, $3, $4, $5, $6, $7, coalesce($8, 20), coalesce($9, 20), \
                 coalesce($10, 80), coalesce($11, 80), coalesce($12, 'rect'), coalesce($13, 0)) \
         on conflict (branch_id, lower(label)) where archived_at is null do nothing",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(f.label)
    .bind(f.floor_area)
    .bind(f.seats)
    .bind(qr_token)
    .bind(f.layout.x)
    .bind(f.layout.y)
    .bind(f.layout.width)
    .bind(f.layout.height)
    .bind(f.layout.shape)
    .bind(f.layout.rotation)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
