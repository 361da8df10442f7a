//! The SQL of carts, their members and their lines, in the caller's tenant-scoped transaction.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::{FromRow, types::Json};
use uuid::Uuid;

use super::model::CartMember;
use crate::lifecycle::{Channel, OrderType};

#[derive(Clone, Debug, FromRow)]
pub struct CartRow {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub channel: Channel,
    #[sqlx(rename = "type")]
    pub order_type: OrderType,
    pub table_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

const CART_COLS: &str =
    "id, branch_id, channel, type, table_id, owner_id, status, version, created_at";

pub struct NewCart {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub channel: Channel,
    pub order_type: OrderType,
    pub table_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub owner_kind: &'static str,
}

/// Inserts the cart, or — for a table that has an open cart already, even one opened a moment
/// ago by a concurrent join — does nothing. Returns whether it inserted.
pub async fn insert_cart(tx: &mut Tx, c: &NewCart) -> Result<bool> {
    Ok(sqlx::query(
        "insert into carts (id, tenant_id, branch_id, channel, type, table_id, owner_id, \
                            owner_kind) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (table_id) where status = 'open' and table_id is not null do nothing",
    )
    .bind(c.id)
    .bind(c.tenant_id)
    .bind(c.branch_id)
    .bind(c.channel)
    .bind(c.order_type)
    .bind(c.table_id)
    .bind(c.owner_id)
    .bind(c.owner_kind)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

pub async fn open_cart_of_table(tx: &mut Tx, table_id: Uuid) -> Result<Option<Uuid>> {
    Ok(
        sqlx::query_scalar("select id from carts where table_id = $1 and status = 'open'")
            .bind(table_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The cart, locked when `lock`: every change to a cart and its lines takes this lock, so they
/// take turns and each bumps the version once.
pub async fn cart(tx: &mut Tx, id: Uuid, lock: bool) -> Result<CartRow> {
    sqlx::query_as(&format!(
        "select {CART_COLS} from carts where id = $1{}",
        if lock { " for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// Bumps the cart's version (after a change) and returns the new one.
pub async fn bump_cart(tx: &mut Tx, id: Uuid, status: Option<&str>) -> Result<i32> {
    Ok(sqlx::query_scalar(
        "update carts set version = version + 1, status = coalesce($2, status), \
                          updated_at = now() \
         where id = $1 returning version",
    )
    .bind(id)
    .bind(status)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn members(tx: &mut Tx, cart_id: Uuid) -> Result<Vec<CartMember>> {
    Ok(sqlx::query_as(
        "select member_id, member_kind, display_name, joined_at from cart_members \
         where cart_id = $1 order by joined_at, member_id",
    )
    .bind(cart_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn member(tx: &mut Tx, cart_id: Uuid, member_id: Uuid) -> Result<Option<CartMember>> {
    Ok(sqlx::query_as(
        "select member_id, member_kind, display_name, joined_at from cart_members \
         where cart_id = $1 and member_id = $2",
    )
    .bind(cart_id)
    .bind(member_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Adds the member unless they are one already; returns whether they were added.
pub async fn add_member(
    tx: &mut Tx,
    tenant_id: Uuid,
    cart_id: Uuid,
    member_id: Uuid,
    kind: &str,
    name: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "insert into cart_members (tenant_id, cart_id, member_id, member_kind, display_name) \
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(cart_id)
    .bind(member_id)
    .bind(kind)
    .bind(name)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

pub async fn member_count(tx: &mut Tx, cart_id: Uuid) -> Result<i64> {
    Ok(
        sqlx::query_scalar("select count(*) from cart_members where cart_id = $1")
            .bind(cart_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

#[derive(Clone, Debug, FromRow)]
pub struct CartLineRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_kind: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub selection: Json<catalog::menu::Selection>,
    pub quantity: i32,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
    pub added_by: Uuid,
    pub added_by_name: String,
    pub unit_price: i64,
    pub order_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const LINE_COLS: &str = "id, product_id, product_kind, name, name_ar, selection, quantity, notes, seat, course, \
    added_by, added_by_name, unit_price, order_id, created_at";

/// The cart's lines in the order they were added.
pub async fn cart_lines(tx: &mut Tx, cart_id: Uuid) -> Result<Vec<CartLineRow>> {
    Ok(sqlx::query_as(&format!(
        "select {LINE_COLS} from cart_lines where cart_id = $1 order by created_at, id"
    ))
    .bind(cart_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn cart_line(tx: &mut Tx, cart_id: Uuid, line_id: Uuid) -> Result<CartLineRow> {
    sqlx::query_as(&format!(
        "select {LINE_COLS} from cart_lines where cart_id = $1 and id = $2"
    ))
    .bind(cart_id)
    .bind(line_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub struct CartLineFields<'a> {
    pub product_id: Uuid,
    pub product_kind: &'a str,
    pub name: &'a str,
    pub name_ar: Option<&'a str>,
    pub selection: &'a catalog::menu::Selection,
    pub quantity: i32,
    pub notes: Option<&'a str>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
    pub unit_price: i64,
}

pub async fn insert_cart_line(
    tx: &mut Tx,
    tenant_id: Uuid,
    cart_id: Uuid,
    added_by: (Uuid, &str),
    f: &CartLineFields<'_>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into cart_lines (id, tenant_id, cart_id, product_id, product_kind, selection, \
                                 quantity, notes, seat, course, added_by, added_by_name, \
                                 unit_price, name, name_ar) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(cart_id)
    .bind(f.product_id)
    .bind(f.product_kind)
    .bind(Json(f.selection))
    .bind(f.quantity)
    .bind(f.notes)
    .bind(f.seat)
    .bind(f.course)
    .bind(added_by.0)
    .bind(added_by.1)
    .bind(f.unit_price)
    .bind(f.name)
    .bind(f.name_ar)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn update_cart_line(tx: &mut Tx, line_id: Uuid, f: &CartLineFields<'_>) -> Result<()> {
    sqlx::query(
        "update cart_lines set selection = $2, quantity = $3, notes = $4, seat = $5, course = $6, \
                               unit_price = $7, product_id = $8, product_kind = $9, name = $10, \
                               name_ar = $11, updated_at = now() \
         where id = $1",
    )
    .bind(line_id)
    .bind(Json(f.selection))
    .bind(f.quantity)
    .bind(f.notes)
    .bind(f.seat)
    .bind(f.course)
    .bind(f.unit_price)
    .bind(f.product_id)
    .bind(f.product_kind)
    .bind(f.name)
    .bind(f.name_ar)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete_cart_line(tx: &mut Tx, line_id: Uuid) -> Result<()> {
    sqlx::query("delete from cart_lines where id = $1")
        .bind(line_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks the lines as ordered; returns how many lines of the cart are left to order.
pub async fn mark_lines_ordered(
    tx: &mut Tx,
    cart_id: Uuid,
    line_ids: &[Uuid],
    order_id: Uuid,
) -> Result<i64> {
    sqlx::query(
        "update cart_lines set order_id = $3, updated_at = now() \
         where cart_id = $1 and id = any($2) and order_id is null",
    )
    .bind(cart_id)
    .bind(line_ids)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "select count(*) from cart_lines where cart_id = $1 and order_id is null",
    )
    .bind(cart_id)
    .fetch_one(&mut **tx)
    .await?)
}
