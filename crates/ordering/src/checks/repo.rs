//! The SQL of splitting and merging checks: the lines an order sold, the links between an
//! order and the checks made from it, and its equal-split shares.

use platform::{db::Tx, error::Result};
use sqlx::FromRow;
use uuid::Uuid;

use super::model::Links;

/// A line of an order as sold, with its figures: what a split or merge copies to a new check.
#[derive(Debug, Clone, FromRow)]
pub struct SoldLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_kind: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub selection: serde_json::Value,
    pub quantity: i32,
    pub unit_price: i64,
    pub gross: i64,
    pub discount: i64,
    pub net: i64,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
}

/// The order's lines still on it: a voided line is no longer sold.
pub async fn sold_lines(tx: &mut Tx, order_id: Uuid) -> Result<Vec<SoldLine>> {
    Ok(sqlx::query_as(
        "select id, product_id, product_kind, name, name_ar, selection, quantity, unit_price, \
                gross, discount, net, notes, seat, course \
         from order_lines l where order_id = $1 \
           and not exists (select 1 from order_line_voids v where v.line_id = l.id) \
         order by position",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn insert_link(
    tx: &mut Tx,
    tenant_id: Uuid,
    from: Uuid,
    to: Uuid,
    kind: &str,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "insert into order_links (tenant_id, from_order_id, to_order_id, kind, created_by) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .bind(kind)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn links(tx: &mut Tx, order_id: Uuid) -> Result<Links> {
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select from_order_id, to_order_id from order_links \
         where from_order_id = $1 or to_order_id = $1 order by created_at, to_order_id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut links = Links::default();
    for (from, to) in rows {
        if to == order_id {
            links.made_from.push(from);
        } else {
            links.became.push(to);
        }
    }
    Ok(links)
}

/// Replaces the order's equal-split shares.
pub async fn replace_shares(
    tx: &mut Tx,
    tenant_id: Uuid,
    order_id: Uuid,
    amounts: &[i64],
    by: Uuid,
) -> Result<()> {
    sqlx::query("delete from order_shares where order_id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    let positions: Vec<i32> = (1..=amounts.len() as i32).collect();
    sqlx::query(
        "insert into order_shares (tenant_id, order_id, position, amount, created_by) \
         select $1, $2, u.position, u.amount, $5 \
         from unnest($3::int[], $4::bigint[]) as u(position, amount)",
    )
    .bind(tenant_id)
    .bind(order_id)
    .bind(&positions)
    .bind(amounts)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn shares(tx: &mut Tx, order_id: Uuid) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("select amount from order_shares where order_id = $1 order by position")
            .bind(order_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}
