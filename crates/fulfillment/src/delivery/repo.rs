//! SQL of delivery zones.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct ZoneRow {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub geojson: Option<serde_json::Value>,
    pub center_lat: Option<f64>,
    pub center_lng: Option<f64>,
    pub radius_m: Option<i32>,
    pub fee: i64,
    pub minimum_order: i64,
    pub eta_minutes: i32,
    pub archived_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

const ZONE_COLS: &str = "id, branch_id, name, name_ar, geojson, center_lat, center_lng, radius_m, \
    fee, minimum_order, eta_minutes, archived_at, updated_at";

/// A zone's shape, checked: a polygon literal with its GeoJSON, or a circle.
pub enum Shape {
    Polygon {
        literal: String,
        geojson: serde_json::Value,
    },
    Circle {
        lat: f64,
        lng: f64,
        metres: i32,
    },
}

pub struct ZoneFields<'a> {
    pub name: &'a str,
    pub name_ar: Option<&'a str>,
    pub shape: Shape,
    pub fee: i64,
    pub minimum_order: i64,
    pub eta_minutes: i32,
}

/// A shape as its columns: area, geojson, centre lat, centre lng, radius.
type ShapeColumns<'a> = (
    Option<&'a str>,
    Option<&'a serde_json::Value>,
    Option<f64>,
    Option<f64>,
    Option<i32>,
);

impl ZoneFields<'_> {
    fn parts(&self) -> ShapeColumns<'_> {
        match &self.shape {
            Shape::Polygon { literal, geojson } => (Some(literal), Some(geojson), None, None, None),
            Shape::Circle { lat, lng, metres } => {
                (None, None, Some(*lat), Some(*lng), Some(*metres))
            }
        }
    }
}

pub async fn insert_zone(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    z: &ZoneFields<'_>,
) -> Result<ZoneRow> {
    let (area, geojson, lat, lng, metres) = z.parts();
    Ok(sqlx::query_as(&format!(
        "insert into delivery_zones (id, tenant_id, branch_id, name, name_ar, area, geojson, \
         center_lat, center_lng, radius_m, fee, minimum_order, eta_minutes) \
         values ($1,$2,$3,$4,$5,$6::polygon,$7,$8,$9,$10,$11,$12,$13) returning {ZONE_COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(z.name)
    .bind(z.name_ar)
    .bind(area)
    .bind(geojson)
    .bind(lat)
    .bind(lng)
    .bind(metres)
    .bind(z.fee)
    .bind(z.minimum_order)
    .bind(z.eta_minutes)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn update_zone(tx: &mut Tx, id: Uuid, z: &ZoneFields<'_>) -> Result<ZoneRow> {
    let (area, geojson, lat, lng, metres) = z.parts();
    sqlx::query_as(&format!(
        "update delivery_zones set name = $2, name_ar = $3, area = $4::polygon, geojson = $5, \
         center_lat = $6, center_lng = $7, radius_m = $8, fee = $9, minimum_order = $10, \
         eta_minutes = $11, updated_at = now() where id = $1 returning {ZONE_COLS}"
    ))
    .bind(id)
    .bind(z.name)
    .bind(z.name_ar)
    .bind(area)
    .bind(geojson)
    .bind(lat)
    .bind(lng)
    .bind(metres)
    .bind(z.fee)
    .bind(z.minimum_order)
    .bind(z.eta_minutes)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn archive_zone(tx: &mut Tx, id: Uuid) -> Result<ZoneRow> {
    sqlx::query_as(&format!(
        "update delivery_zones set archived_at = coalesce(archived_at, now()), updated_at = now() \
         where id = $1 returning {ZONE_COLS}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// One zone; `lock` for a change.
pub async fn zone(tx: &mut Tx, id: Uuid, lock: bool) -> Result<ZoneRow> {
    sqlx::query_as(&format!(
        "select {ZONE_COLS} from delivery_zones where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn zones(tx: &mut Tx, branch_id: Uuid, archived: bool) -> Result<Vec<ZoneRow>> {
    Ok(sqlx::query_as(&format!(
        "select {ZONE_COLS} from delivery_zones \
         where branch_id = $1 and ($2 or archived_at is null) order by fee, name, id"
    ))
    .bind(branch_id)
    .bind(archived)
    .fetch_all(&mut **tx)
    .await?)
}

/// The branch's location, when it has one (the default centre of a radius zone).
pub async fn branch_location(tx: &mut Tx, branch_id: Uuid) -> Result<Option<(f64, f64)>> {
    let row: Option<(Option<f64>, Option<f64>)> =
        sqlx::query_as("select lat, lng from branches where id = $1")
            .bind(branch_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match row {
        Some((Some(lat), Some(lng))) => Some((lat, lng)),
        _ => None,
    })
}

/// The brand's currency (fees are in it).
pub async fn currency(tx: &mut Tx, tenant_id: Uuid) -> Result<String> {
    Ok(
        sqlx::query_scalar("select currency::text from tenants where id = $1")
            .bind(tenant_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}
