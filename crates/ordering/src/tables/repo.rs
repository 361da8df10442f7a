//! The SQL of dining tables, in the caller's tenant-scoped transaction.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::FromRow;
use uuid::Uuid;

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
}

const TABLE_COLS: &str =
    "id, branch_id, label, floor_area, seats, qr_token, active, archived_at, created_at";

pub struct TableFields<'a> {
    pub label: &'a str,
    pub floor_area: Option<&'a str>,
    pub seats: i32,
    pub active: bool,
}

pub async fn insert_table(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    f: &TableFields<'_>,
    qr_token: &str,
) -> Result<DiningTable> {
    Ok(sqlx::query_as(&format!(
        "insert into dining_tables (id, tenant_id, branch_id, label, floor_area, seats, qr_token, \
                                    active) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning {TABLE_COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(f.label)
    .bind(f.floor_area)
    .bind(f.seats)
    .bind(qr_token)
    .bind(f.active)
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
                                  updated_at = now() \
         where id = $1 returning {TABLE_COLS}"
    ))
    .bind(id)
    .bind(f.label)
    .bind(f.floor_area)
    .bind(f.seats)
    .bind(f.active)
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

/// Inserts the demo's tables of a branch; labels already there are left alone.
pub async fn seed_table(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    f: &TableFields<'_>,
    qr_token: &str,
) -> Result<()> {
    sqlx::query(
        "insert into dining_tables (id, tenant_id, branch_id, label, floor_area, seats, qr_token) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (branch_id, lower(label)) where archived_at is null do nothing",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(f.label)
    .bind(f.floor_area)
    .bind(f.seats)
    .bind(qr_token)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
