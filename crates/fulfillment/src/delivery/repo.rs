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

// ---- drivers and deliveries ---------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct ShiftRow {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub driver_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

const SHIFT_COLS: &str = "id, branch_id, driver_id, started_at, ended_at";

/// A new open shift; `None` when the driver is on one already (anywhere).
pub async fn start_shift(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    driver_id: Uuid,
) -> Result<Option<ShiftRow>> {
    Ok(sqlx::query_as(&format!(
        "insert into driver_shifts (id, tenant_id, branch_id, driver_id) values ($1,$2,$3,$4) \
         on conflict (tenant_id, driver_id) where ended_at is null do nothing returning {SHIFT_COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(driver_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn end_shift(tx: &mut Tx, driver_id: Uuid) -> Result<Option<ShiftRow>> {
    Ok(sqlx::query_as(&format!(
        "update driver_shifts set ended_at = now() where driver_id = $1 and ended_at is null \
         returning {SHIFT_COLS}"
    ))
    .bind(driver_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn open_shift(tx: &mut Tx, driver_id: Uuid) -> Result<Option<ShiftRow>> {
    Ok(sqlx::query_as(&format!(
        "select {SHIFT_COLS} from driver_shifts where driver_id = $1 and ended_at is null"
    ))
    .bind(driver_id)
    .fetch_optional(&mut **tx)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct DriverRow {
    pub driver_id: Uuid,
    pub name: String,
    pub shift_started_at: DateTime<Utc>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub pinged_at: Option<DateTime<Utc>>,
    pub active_deliveries: i64,
}

/// How fresh a ping must be for automatic assignment to trust it.
const FRESH_PING: &str = "interval '15 minutes'";

/// The drivers on shift at the branch with their last position and load; `available_only`
/// keeps those carrying nothing, nearest to the branch first (a fresh ping, then distance,
/// then who started first).
pub async fn drivers_on_shift(
    tx: &mut Tx,
    branch_id: Uuid,
    available_only: bool,
) -> Result<Vec<DriverRow>> {
    Ok(sqlx::query_as(&format!(
        "select s.driver_id, u.display_name as name, s.started_at as shift_started_at, \
                p.lat::float8 as lat, p.lng::float8 as lng, p.at as pinged_at, \
                (select count(*) from order_deliveries d where d.driver_id = s.driver_id \
                   and d.status in ('assigned', 'accepted', 'picked_up')) as active_deliveries \
         from driver_shifts s \
         join users u on u.id = s.driver_id \
         join branches b on b.id = s.branch_id \
         left join lateral (select lat, lng, at from driver_pings p \
                            where p.driver_id = s.driver_id order by at desc limit 1) p on true \
         where s.branch_id = $1 and s.ended_at is null \
           and (not $2 or not exists (select 1 from order_deliveries d where d.driver_id = s.driver_id \
                                      and d.status in ('assigned', 'accepted', 'picked_up'))) \
         order by (p.at > now() - {FRESH_PING}) desc nulls last, \
                  earth_distance(ll_to_earth(p.lat::float8, p.lng::float8), ll_to_earth(b.lat, b.lng)) \
                      nulls last, \
                  s.started_at, s.driver_id"
    ))
    .bind(branch_id)
    .bind(available_only)
    .fetch_all(&mut **tx)
    .await?)
}

/// Serialises automatic assignment per branch: the second of two concurrent assignments looks
/// for a driver after the first has taken one.
pub async fn lock_dispatch(tx: &mut Tx, branch_id: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('dispatch:' || $1::text, 0))")
        .bind(branch_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub order_id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub number: i32,
    pub status: String,
    pub order_status: String,
    pub address: String,
    pub address_notes: Option<String>,
    pub lat: f64,
    pub lng: f64,
    pub fee: i64,
    pub due: i64,
    pub currency: String,
    pub driver_id: Option<Uuid>,
    pub driver_name: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub handover_code: String,
    pub handover_attempts: i32,
    pub placed_by: Uuid,
    pub placed_by_kind: String,
    /// Estimated now, from the driver's last ping (see `delivery_eta_minutes`).
    pub eta_minutes: i32,
    pub driver_lat: Option<f64>,
    pub driver_lng: Option<f64>,
    pub pinged_at: Option<DateTime<Utc>>,
}

const DELIVERY_SELECT: &str = "select d.order_id, d.tenant_id, d.branch_id, o.number, d.status, \
    o.status as order_status, d.address, d.address_notes, d.lat, d.lng, d.fee, o.due, \
    o.currency::text as currency, d.driver_id, u.display_name as driver_name, d.assigned_at, \
    d.picked_up_at, d.delivered_at, d.created_at, d.handover_code, d.handover_attempts, o.placed_by, \
    o.placed_by_kind, delivery_eta_minutes(d, p.lat::float8, p.lng::float8) as eta_minutes, \
    p.lat::float8 as driver_lat, p.lng::float8 as driver_lng, p.at as pinged_at \
    from order_deliveries d join order_facts o on o.id = d.order_id \
    left join users u on u.id = d.driver_id \
    left join lateral (select lat, lng, at from driver_pings p where p.driver_id = d.driver_id \
                       order by at desc limit 1) p on true";

/// One delivery; `lock` takes its row. Every writer locks the order first
/// (`ordering::api::lock`), so the caller does that before.
pub async fn delivery(tx: &mut Tx, order_id: Uuid, lock: bool) -> Result<DeliveryRow> {
    sqlx::query_as(&format!(
        "{DELIVERY_SELECT} where d.order_id = $1 {}",
        if lock { "for update of d" } else { "" }
    ))
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// The driver's deliveries not yet handed over, oldest first.
pub async fn driver_deliveries(tx: &mut Tx, driver_id: Uuid) -> Result<Vec<DeliveryRow>> {
    Ok(sqlx::query_as(&format!(
        "{DELIVERY_SELECT} where d.driver_id = $1 and d.status in ('assigned', 'accepted', 'picked_up') \
         order by d.created_at, d.order_id"
    ))
    .bind(driver_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn assign(tx: &mut Tx, order_id: Uuid, driver_id: Uuid) -> Result<()> {
    sqlx::query(
        "update order_deliveries set status = 'assigned', driver_id = $2, assigned_at = now(), \
         accepted_at = null where order_id = $1",
    )
    .bind(order_id)
    .bind(driver_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves the delivery to `status`, stamping its time column.
pub async fn set_status(tx: &mut Tx, order_id: Uuid, status: &str) -> Result<()> {
    let stamp = match status {
        "accepted" => "accepted_at",
        "picked_up" => "picked_up_at",
        "delivered" => "delivered_at",
        _ => return Err(anyhow::anyhow!("no time column for delivery status {status}").into()),
    };
    sqlx::query(&format!(
        "update order_deliveries set status = $2, {stamp} = now() where order_id = $1"
    ))
    .bind(order_id)
    .bind(status)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn count_wrong_code(tx: &mut Tx, order_id: Uuid) -> Result<i32> {
    Ok(sqlx::query_scalar(
        "update order_deliveries set handover_attempts = handover_attempts + 1 \
         where order_id = $1 returning handover_attempts",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Stores a ping rounded to 4 decimals (about 11 m) and answers the stored position.
pub async fn insert_ping(
    tx: &mut Tx,
    tenant_id: Uuid,
    driver_id: Uuid,
    lat: f64,
    lng: f64,
) -> Result<(f64, f64, DateTime<Utc>)> {
    Ok(sqlx::query_as(
        "insert into driver_pings (tenant_id, driver_id, lat, lng) \
         values ($1, $2, round($3::numeric, 4), round($4::numeric, 4)) \
         returning lat::float8, lng::float8, at",
    )
    .bind(tenant_id)
    .bind(driver_id)
    .bind(lat)
    .bind(lng)
    .fetch_one(&mut **tx)
    .await?)
}
