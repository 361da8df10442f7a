//! What the line-void API takes.

use garde::Validate;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /api/orders/{id}/lines/{lineId}/void`: the whole line comes off the order.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoidLineRequest {
    /// Why: "guest changed their mind", "wrong item", "quality"… kept with the void.
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
    /// Needed when the line comes to more than the approval threshold, unless a manager is
    /// signed in.
    #[garde(inner(length(chars, min = 4, max = 12)))]
    #[schema(min_length = 4, max_length = 12)]
    pub manager_pin: Option<String>,
}
