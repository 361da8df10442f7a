//! What the service-charge API takes and gives.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lifecycle::OrderType;

/// The highest rate a branch may set: 30 %.
pub const MAX_RATE_BP: u32 = 3000;

/// `PUT /api/branches/{branch_id}/service-charge`, and what `GET` answers.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceCharge {
    /// Basis points of the items after discounts (1000 = 10 %); 0 charges none.
    #[garde(range(max = MAX_RATE_BP))]
    #[schema(maximum = 3000)]
    pub rate_bp: u32,
    /// The order types charged; by default dine-in only.
    #[serde(default = "dine_in_only")]
    #[garde(length(min = 1, max = 4))]
    #[schema(min_items = 1, max_items = 4)]
    pub order_types: Vec<OrderType>,
}

pub fn dine_in_only() -> Vec<OrderType> {
    vec![OrderType::DineIn]
}
