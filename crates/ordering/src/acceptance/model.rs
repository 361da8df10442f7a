//! What the order-acceptance API takes and gives.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How guests order: a table's QR code, the website for pickup, the website for delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AcceptanceChannel {
    Qr,
    WebPickup,
    WebDelivery,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AcceptanceMode {
    /// Every order is accepted as it is placed and goes to the kitchen.
    Auto,
    /// An order paid online is accepted once paid; the others wait for staff.
    Paid,
    /// Every order waits for staff.
    Staff,
}

/// One channel's rule at a branch.
#[derive(
    Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema, sqlx::FromRow,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptanceRule {
    #[garde(skip)]
    pub channel: AcceptanceChannel,
    #[garde(skip)]
    pub mode: AcceptanceMode,
    /// Minutes an order waits for staff before it is cancelled and the guest told (1–120).
    #[garde(range(min = 1, max = 120))]
    #[schema(minimum = 1, maximum = 120)]
    pub timeout_minutes: i32,
}

/// `PUT /api/branches/{branch_id}/order-acceptance`: the rules to set, a channel at most once;
/// channels left out keep theirs.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptanceInput {
    #[garde(length(min = 1, max = 3), dive)]
    #[schema(min_items = 1, max_items = 3)]
    pub rules: Vec<AcceptanceRule>,
}
