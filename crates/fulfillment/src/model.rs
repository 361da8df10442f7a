//! What the kitchen API accepts and answers.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::timing::Timing;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketItemDto {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub quantity: i32,
    /// The chosen options (and combo slot items), by name.
    pub modifiers: Vec<String>,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
    /// Waiting for its course to be fired.
    pub held: bool,
    pub done: bool,
    /// Taken off the order at the till: not to be made.
    pub voided: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketDto {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: i32,
    pub order_type: String,
    pub table: Option<String>,
    pub order_notes: Option<String>,
    pub station: String,
    /// held, new, started or bumped.
    pub status: String,
    pub rush: bool,
    pub created_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub bumped_at: Option<DateTime<Utc>>,
    /// Seconds since the items reached the kitchen (none while held).
    pub age_seconds: Option<i64>,
    pub target_seconds: i64,
    pub timing: Timing,
    pub items: Vec<TicketItemDto>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllDayDto {
    pub name: String,
    pub name_ar: Option<String>,
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StationDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub kind: String,
    pub position: i32,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewStation {
    #[garde(length(chars, min = 1, max = 30), pattern(r"^[a-z0-9_-]+$"))]
    #[schema(min_length = 1, max_length = 30, pattern = r"^[a-z0-9_-]+$")]
    pub code: String,
    #[garde(length(chars, min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[garde(inner(length(chars, max = 100)))]
    #[schema(max_length = 100)]
    pub name_ar: Option<String>,
    /// prep (receives tickets, the default) or expo.
    #[garde(inner(pattern(r"^(prep|expo)$")))]
    #[schema(pattern = r"^(prep|expo)$")]
    pub kind: Option<String>,
    #[garde(inner(range(min = 0, max = 1000)))]
    #[schema(minimum = 0, maximum = 1000)]
    pub position: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryRoute {
    #[garde(skip)]
    pub category_id: Uuid,
    #[garde(length(chars, min = 1, max = 30))]
    #[schema(min_length = 1, max_length = 30)]
    pub station: String,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KitchenSettings {
    /// How long after a bump it may be recalled, 0 to 3600 seconds.
    #[garde(range(min = 0, max = 3600))]
    #[schema(minimum = 0, maximum = 3600)]
    pub recall_seconds: i32,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rush {
    #[garde(skip)]
    pub rush: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fired {
    pub course: i32,
    pub tickets: Vec<TicketDto>,
}
