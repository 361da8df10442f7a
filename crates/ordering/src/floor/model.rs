//! What the floor API takes and gives: the layout editor's plan, the party at a table, and the
//! floor as the POS draws it.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    lifecycle::Status,
    tables::model::{MAX_SIZE, MIN_SIZE, PLAN, TableShape},
};

/// Most tables one `PUT /api/branches/{branch_id}/floor-plan` places.
pub const MAX_PLACED: usize = 200;

/// `PUT /api/branches/{branch_id}/floor-plan`: the tables the layout editor moved, all placed
/// or none. Tables left out stay as they are.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FloorPlanInput {
    #[garde(length(min = 1, max = MAX_PLACED), dive)]
    #[schema(min_items = 1, max_items = 200)]
    pub tables: Vec<PlacedTable>,
}

/// One table of the plan: its place (top-left corner) and size in the 1000 × 1000 plan, and
/// the seats and floor area the editor shows beside it. `floorArea` left out or null: none.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacedTable {
    #[garde(skip)]
    pub id: Uuid,
    #[garde(range(min = 0, max = PLAN))]
    #[schema(minimum = 0, maximum = 1000)]
    pub x: i32,
    #[garde(range(min = 0, max = PLAN))]
    #[schema(minimum = 0, maximum = 1000)]
    pub y: i32,
    #[garde(range(min = MIN_SIZE, max = MAX_SIZE))]
    #[schema(minimum = 20, maximum = 400)]
    pub width: i32,
    #[garde(range(min = MIN_SIZE, max = MAX_SIZE))]
    #[schema(minimum = 20, maximum = 400)]
    pub height: i32,
    #[garde(skip)]
    pub shape: TableShape,
    #[garde(range(min = 0, max = 359))]
    #[schema(minimum = 0, maximum = 359)]
    pub rotation: i32,
    #[garde(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub seats: i32,
    #[garde(inner(length(chars, min = 1, max = 60)))]
    #[schema(min_length = 1, max_length = 60)]
    pub floor_area: Option<String>,
}

/// `POST /api/dining-tables/{id}/seat`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeatParty {
    #[garde(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub guests: i32,
    /// Who serves the party; left out, the caller.
    #[garde(skip)]
    pub server_id: Option<Uuid>,
}

/// `POST /api/table-sessions/{id}/transfer`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferParty {
    /// A front-of-house member of the branch (owner, manager, cashier or waiter).
    #[garde(skip)]
    pub server_id: Uuid,
}

/// `POST /api/table-sessions/{id}/move`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveParty {
    /// A free table of the same branch.
    #[garde(skip)]
    pub table_id: Uuid,
}

/// `POST /api/table-sessions/{id}/merge`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeParty {
    /// The open session of another table of the branch, which this party joins.
    #[garde(skip)]
    pub into_session_id: Uuid,
}

/// A party at a table, as the session endpoints answer it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TableSession {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub table_id: Uuid,
    /// The table's label (what its dine-in orders carry as `table`).
    pub label: String,
    pub guests: i32,
    pub server_id: Uuid,
    pub server_name: Option<String>,
    /// The POS the party was seated on, when the staff member signed in on one.
    pub device_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub check_printed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The session this party joined, when it was merged into another table's.
    pub merged_into: Option<Uuid>,
}

/// Where a table is in its meal, from its session and the orders at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TableState {
    /// No party and no order.
    Free,
    /// A party, no order yet.
    Seated,
    /// Orders at the table, none ready.
    Ordered,
    /// An order at the table is ready to be served.
    FoodReady,
    /// The check was printed after the last order and something is still due.
    CheckPrinted,
    /// Orders at the table and nothing due; the party has not left yet.
    Paid,
}

/// The party at a table, as the floor shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FloorSession {
    pub id: Uuid,
    pub guests: i32,
    pub server_id: Uuid,
    pub server_name: Option<String>,
    pub device_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub check_printed_at: Option<DateTime<Utc>>,
    /// Whole minutes since the party sat down.
    pub minutes_seated: i32,
}

/// An order at a table.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FloorOrder {
    pub id: Uuid,
    pub number: i32,
    pub status: Status,
    pub total: i64,
    pub due: i64,
}

/// A table of the floor: where it stands, and where it is in its meal.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FloorTable {
    pub id: Uuid,
    pub label: String,
    pub floor_area: Option<String>,
    pub seats: i32,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub shape: TableShape,
    pub rotation: i32,
    pub state: TableState,
    pub session: Option<FloorSession>,
    /// The orders of the party at the table, oldest first.
    pub orders: Vec<FloorOrder>,
    /// What those orders come to, and what is still due on them, in minor units.
    pub total: i64,
    pub due: i64,
}
