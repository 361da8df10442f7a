//! What the delivery API takes and gives.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A point on the map (WGS 84 degrees).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LatLng {
    #[garde(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[garde(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
}

/// `POST /api/branches/{branchId}/delivery-zones` and `PUT /api/delivery-zones/{id}`: either
/// `area` (a GeoJSON Polygon, positions `[longitude, latitude]`) or `radiusMetres` (around
/// `center`, by default the branch's location).
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZoneInput {
    #[garde(length(chars, min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[garde(inner(length(chars, max = 100)))]
    #[schema(max_length = 100)]
    pub name_ar: Option<String>,
    #[schema(value_type = Option<Object>)]
    #[garde(skip)]
    pub area: Option<serde_json::Value>,
    #[garde(inner(range(min = 50, max = 100_000)))]
    #[schema(minimum = 50, maximum = 100000)]
    pub radius_metres: Option<i32>,
    #[garde(dive)]
    pub center: Option<LatLng>,
    /// Minor units.
    #[garde(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub fee: i64,
    /// The least items total (before discounts), minor units.
    #[serde(default)]
    #[garde(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub minimum_order: i64,
    #[garde(range(min = 1, max = 600))]
    #[schema(minimum = 1, maximum = 600)]
    pub eta_minutes: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZoneDto {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    /// `polygon` or `radius`.
    pub kind: &'static str,
    #[schema(value_type = Option<Object>)]
    pub area: Option<serde_json::Value>,
    pub radius_metres: Option<i32>,
    pub center: Option<LatLng>,
    pub fee: i64,
    pub minimum_order: i64,
    pub eta_minutes: i32,
    pub archived: bool,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/branches/{branchId}/delivery-quote`: what delivering there would cost.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub branch_id: Uuid,
    #[serde(flatten)]
    pub zone: ordering::api::Zone,
    pub currency: String,
}

// ---- drivers ------------------------------------------------------------------------------

/// `POST /api/driver/shift`: the signed-in driver starts a shift at a branch.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartShift {
    #[garde(skip)]
    pub branch_id: Uuid,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShiftDto {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub driver_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A driver's last known position (rounded to about 11 m).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    pub lat: f64,
    pub lng: f64,
    pub at: DateTime<Utc>,
}

/// A driver on shift at the branch (managers' dispatch view).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverDto {
    pub driver_id: Uuid,
    pub name: String,
    pub shift_started_at: DateTime<Utc>,
    pub position: Option<Position>,
    /// Deliveries assigned and not yet handed over.
    pub active_deliveries: i64,
}

/// `POST /api/deliveries/{orderId}/assign`: to this driver, or (no `driverId`) to the nearest
/// available one.
#[derive(Clone, Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assign {
    #[garde(skip)]
    pub driver_id: Option<Uuid>,
}

/// `POST /api/deliveries/{orderId}/delivered`: the code the customer reads out.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HandOver {
    #[garde(pattern(r"^[0-9]{4}$"))]
    #[schema(pattern = r"^[0-9]{4}$")]
    pub code: String,
}

/// A delivery as its driver and the branch's staff see it (no hand-over code).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDto {
    pub order_id: Uuid,
    pub branch_id: Uuid,
    pub number: i32,
    /// `waiting`, `assigned`, `accepted`, `picked_up` or `delivered`.
    pub status: String,
    pub order_status: String,
    pub address: String,
    pub address_notes: Option<String>,
    pub lat: f64,
    pub lng: f64,
    pub fee: i64,
    /// Still to collect at the door (minor units).
    pub due: i64,
    pub currency: String,
    pub driver_id: Option<Uuid>,
    pub driver_name: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/orders/{id}/delivery`: what the customer follows. `handoverCode` is shown to
/// whoever placed the order only.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    #[serde(flatten)]
    pub delivery: DeliveryDto,
    /// Minutes until the door, estimated now: the zone's ETA from the order's time until the
    /// driver leaves, then the driver's distance at city speed.
    pub eta_minutes: i32,
    pub driver_position: Option<Position>,
    pub handover_code: Option<String>,
}
