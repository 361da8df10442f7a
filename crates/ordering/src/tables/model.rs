//! What the dining-table API takes and gives.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartTable {
    pub id: Uuid,
    pub label: String,
    pub floor_area: Option<String>,
}

/// What a table's QR code opens.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TableView {
    pub table: CartTable,
    pub seats: i32,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub branch_name_ar: Option<String>,
    /// The branch's menu: `GET` it to order.
    pub menu_url: String,
}

/// `POST /api/branches/{branch_id}/dining-tables` and `PUT /api/dining-tables/{id}`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableInput {
    #[garde(length(chars, min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub label: String,
    /// "Terrace", "Family section", …
    #[garde(inner(length(chars, min = 1, max = 60)))]
    #[schema(min_length = 1, max_length = 60)]
    pub floor_area: Option<String>,
    #[garde(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub seats: i32,
    #[serde(default = "yes")]
    #[garde(skip)]
    pub active: bool,
    /// Where the table stands on the floor plan. Left out: a new table takes the next free
    /// place of a grid, and a change keeps the table where it is.
    #[garde(inner(range(min = 0, max = PLAN)))]
    #[schema(minimum = 0, maximum = 1000)]
    pub x: Option<i32>,
    #[garde(inner(range(min = 0, max = PLAN)))]
    #[schema(minimum = 0, maximum = 1000)]
    pub y: Option<i32>,
    #[garde(inner(range(min = MIN_SIZE, max = MAX_SIZE)))]
    #[schema(minimum = 20, maximum = 400)]
    pub width: Option<i32>,
    #[garde(inner(range(min = MIN_SIZE, max = MAX_SIZE)))]
    #[schema(minimum = 20, maximum = 400)]
    pub height: Option<i32>,
    #[garde(skip)]
    pub shape: Option<TableShape>,
    #[garde(inner(range(min = 0, max = 359)))]
    #[schema(minimum = 0, maximum = 359)]
    pub rotation: Option<i32>,
}

/// The floor plan is a square of `PLAN` × `PLAN` units whatever the screen (the POS scales it);
/// a table's `x`, `y` is its top-left corner, and `x + width`, `y + height` stay within it.
pub const PLAN: i32 = 1000;
pub const MIN_SIZE: i32 = 20;
pub const MAX_SIZE: i32 = 400;

/// How the POS draws a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum TableShape {
    Rect,
    Round,
}

impl TableShape {
    pub fn as_str(self) -> &'static str {
        match self {
            TableShape::Rect => "rect",
            TableShape::Round => "round",
        }
    }
}

fn yes() -> bool {
    true
}
