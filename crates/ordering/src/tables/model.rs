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
}

fn yes() -> bool {
    true
}
