//! What the promo-code API takes and gives.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromoInput {
    /// Letters, digits, `-` and `_`; matched without regard to case.
    #[garde(pattern(r"^[A-Za-z0-9_-]{3,40}$"))]
    #[schema(pattern = r"^[A-Za-z0-9_-]{3,40}$")]
    pub code: String,
    #[garde(inner(range(min = 1, max = 10_000)))]
    #[schema(minimum = 1, maximum = 10000)]
    pub percent_bp: Option<i32>,
    #[garde(inner(range(min = 1, max = 100_000_000)))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount: Option<i64>,
    #[garde(skip)]
    pub valid_from: DateTime<Utc>,
    #[garde(skip)]
    pub valid_until: DateTime<Utc>,
    #[garde(inner(range(min = 1)))]
    #[schema(minimum = 1)]
    pub max_uses: Option<i32>,
    #[garde(inner(range(min = 1)))]
    #[schema(minimum = 1)]
    pub max_uses_per_customer: Option<i32>,
    /// Minimum items subtotal before the code applies.
    #[serde(default)]
    #[garde(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub min_order: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Promo {
    pub id: Uuid,
    pub code: String,
    pub percent_bp: Option<i32>,
    pub amount: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub max_uses: Option<i32>,
    pub max_uses_per_customer: Option<i32>,
    pub min_order: i64,
    pub uses: i32,
}
