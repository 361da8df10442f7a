//! What the checks API takes and gives.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::orders::model::OrderDto;

/// Most shares an equal split makes.
pub const MAX_SHARES: u32 = 20;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SplitMode {
    /// The lines named in `lines` go to one new check, the others to another.
    Items,
    /// One new check per seat; lines without a seat on a check of their own (the first).
    Seats,
    /// `parts` equal payment shares of this check (no new orders).
    Equal,
}

/// `POST /api/orders/{id}/split`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SplitRequest {
    #[garde(skip)]
    pub mode: SplitMode,
    /// `items`: the lines (ids of the order's lines) that go to the new check.
    #[garde(inner(length(min = 1, max = 100)))]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Option<Vec<Uuid>>,
    /// `equal`: how many shares (2–20).
    #[garde(inner(range(min = 2, max = MAX_SHARES)))]
    #[schema(minimum = 2, maximum = 20)]
    pub parts: Option<u32>,
}

/// `POST /api/orders/{id}/merge`: the other check joins this one.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeRequest {
    /// The other open check of the branch.
    #[garde(skip)]
    pub order_id: Uuid,
}

/// One equal share of a check: payments fill the shares in order.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// 1, 2, …
    pub position: i32,
    pub amount: i64,
    pub paid: i64,
    pub due: i64,
}

/// What a split or merge did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChecksAnswer {
    /// The orders that ended (`split` or `merged`); empty for an equal split.
    pub ended: Vec<Uuid>,
    /// The new checks; for an equal split, the one check that was shared.
    pub checks: Vec<OrderDto>,
    /// An equal split's shares; empty otherwise.
    pub shares: Vec<Share>,
}

/// Orders this one became (a split or merge of it) and orders it was made from.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Links {
    /// The orders whose lines this check carries (it was split or merged from them).
    pub made_from: Vec<Uuid>,
    /// The checks this order's lines went to when it was split or merged.
    pub became: Vec<Uuid>,
}

/// What a check was made from and became, and its equal-split shares.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckView {
    #[serde(flatten)]
    pub links: Links,
    pub shares: Vec<Share>,
}
