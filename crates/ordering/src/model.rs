//! What the ordering API takes and gives: the orders' types (in `orders::model`, named here
//! too by the paths the tender code uses) and a refund request.

use garde::Validate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::orders::model::*;

/// `POST /api/orders/{id}/refunds`: cash back against one payment.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    #[garde(skip)]
    pub payment_id: Uuid,
    #[garde(range(min = 1, max = 1_000_000_000_000))]
    #[schema(minimum = 1, maximum = 1000000000000i64)]
    pub amount: i64,
    #[garde(length(chars, min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Needed above the approval threshold unless a manager is signed in.
    #[garde(inner(length(chars, min = 4, max = 12)))]
    #[schema(min_length = 4, max_length = 12)]
    pub manager_pin: Option<String>,
}
