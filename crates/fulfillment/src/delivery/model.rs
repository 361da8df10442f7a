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
    pub lat: f64,
    #[garde(range(min = -180.0, max = 180.0))]
    pub lng: f64,
}

/// `POST /api/branches/{branchId}/delivery-zones` and `PUT /api/delivery-zones/{id}`: either
/// `area` (a GeoJSON Polygon, positions `[longitude, latitude]`) or `radiusMetres` (around
/// `center`, by default the branch's location).
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZoneInput {
    #[garde(length(chars, min = 1, max = 100))]
    pub name: String,
    #[garde(inner(length(chars, max = 100)))]
    pub name_ar: Option<String>,
    #[schema(value_type = Option<Object>)]
    #[garde(skip)]
    pub area: Option<serde_json::Value>,
    #[garde(inner(range(min = 50, max = 100_000)))]
    pub radius_metres: Option<i32>,
    #[garde(dive)]
    pub center: Option<LatLng>,
    /// Minor units.
    #[garde(range(min = 0, max = 100_000_000))]
    pub fee: i64,
    /// The least items total (before discounts), minor units.
    #[serde(default)]
    #[garde(range(min = 0, max = 100_000_000))]
    pub minimum_order: i64,
    #[garde(range(min = 1, max = 600))]
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
    pub zone: ordering::delivery::Zone,
    pub currency: String,
}
