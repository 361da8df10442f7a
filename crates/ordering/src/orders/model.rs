//! What the orders API takes and gives.

use catalog::menu::Selection;
use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    lifecycle::{Channel, OrderType, Status},
    pricing::{Pricing, Totals},
};

pub const MAX_TIP: i64 = 100_000_000;

/// `POST /api/orders`. Prices are never taken from the client: every line is priced from the
/// branch's menu as it is now.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaceOrder {
    #[garde(skip)]
    pub branch_id: Uuid,
    #[serde(rename = "type")]
    #[garde(skip)]
    pub order_type: OrderType,
    /// The table (dine-in).
    #[garde(inner(length(chars, min = 1, max = 40)))]
    #[schema(min_length = 1, max_length = 40)]
    pub table: Option<String>,
    /// A client-generated id: an offline POS replays queued orders under it, and a replay
    /// returns the order already made instead of a second one.
    #[garde(skip)]
    pub client_ref: Option<Uuid>,
    /// Scheduled pickup or delivery time.
    #[garde(skip)]
    pub scheduled_for: Option<DateTime<Utc>>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500)]
    pub notes: Option<String>,
    #[garde(length(min = 1, max = 100), dive)]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<LineRequest>,
    /// Minor units, not discounted, not taxed.
    #[serde(default)]
    #[garde(range(min = 0, max = MAX_TIP))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub tip: i64,
    /// Staff only: discounts on the whole order.
    #[serde(default)]
    #[garde(length(max = 5), dive)]
    #[schema(max_items = 5)]
    pub discounts: Vec<DiscountRequest>,
    /// Pay now (the POS takes cash at the counter).
    #[garde(dive)]
    pub payment: Option<PaymentRequest>,
    /// A promo code the guest typed.
    #[garde(inner(length(chars, min = 3, max = 40)))]
    #[schema(min_length = 3, max_length = 40)]
    pub promo_code: Option<String>,
    /// A phone the restaurant may call about the order, in international form
    /// (`+966 50 123 4567`); stored, and shown, in E.164. Needed with a promo code that is
    /// limited per customer, which counts its uses by this phone.
    #[garde(inner(length(chars, min = 2, max = 40)))]
    #[schema(min_length = 2, max_length = 40, example = "+966 50 123 4567")]
    #[serde(default)]
    pub contact_phone: Option<String>,
    /// A manager's PIN, when discounts above the approval threshold are given by a cashier.
    #[garde(inner(length(chars, min = 4, max = 12)))]
    #[schema(min_length = 4, max_length = 12)]
    pub manager_pin: Option<String>,
    /// Delivery orders only (and required for them): where to. Must be inside a delivery zone
    /// of the branch, whose fee is added and whose minimum order applies.
    #[garde(dive)]
    pub delivery: Option<crate::delivery::DeliveryAddress>,
}

impl PlaceOrder {
    /// Whether any discount of the staff's own is given, on a line or on the order.
    pub fn has_staff_discounts(&self) -> bool {
        !self.discounts.is_empty() || self.lines.iter().any(|l| !l.discounts.is_empty())
    }
}

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineRequest {
    /// An item or combo of the branch's menu.
    #[garde(skip)]
    pub product_id: Uuid,
    #[serde(default, flatten)]
    #[garde(dive)]
    pub selection: Selection,
    #[garde(range(min = 1, max = 999))]
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: u32,
    /// "No onions".
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub notes: Option<String>,
    #[garde(inner(range(min = 1, max = 100)))]
    #[schema(minimum = 1, maximum = 100)]
    pub seat: Option<i32>,
    #[garde(inner(range(min = 1, max = 10)))]
    #[schema(minimum = 1, maximum = 10)]
    pub course: Option<i32>,
    /// Staff only: discounts on this line alone, applied in this order before the order's
    /// discounts; each takes at most what is left of the line.
    #[serde(default)]
    #[garde(length(max = 3), dive)]
    #[schema(max_items = 3)]
    pub discounts: Vec<DiscountRequest>,
}

/// A discount: `percentBp` (basis points) or `amount` (minor units), with a label.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscountRequest {
    #[garde(inner(range(min = 1, max = 10_000)))]
    #[schema(minimum = 1, maximum = 10000)]
    pub percent_bp: Option<u32>,
    #[garde(inner(range(min = 1, max = 100_000_000)))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount: Option<i64>,
    #[garde(length(chars, min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Cash,
    /// On a card terminal, with an `Idempotency-Key`: `POST /api/orders/{id}/payments`, or with
    /// the order on `POST /api/orders` (the whole total).
    Card,
}

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentRequest {
    #[garde(skip)]
    pub method: Method,
    /// Applied to the order; by default what is still due.
    #[garde(inner(range(min = 1, max = 1_000_000_000_000)))]
    #[schema(minimum = 1, maximum = 1000000000000i64)]
    pub amount: Option<i64>,
    /// Cash handed over (≥ the amount); the change is the difference. Cash only.
    #[garde(inner(range(min = 1, max = 1_000_000_000_000)))]
    #[schema(minimum = 1, maximum = 1000000000000i64)]
    pub tendered: Option<i64>,
    /// Card: the terminal at the counter that takes the card (as the POS names it).
    #[garde(inner(length(chars, min = 1, max = 60)))]
    #[schema(min_length = 1, max_length = 60)]
    pub terminal_id: Option<String>,
}

/// `POST /api/orders/{id}/status`.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeStatus {
    #[garde(skip)]
    pub status: Status,
    /// Required to cancel or void.
    #[garde(inner(length(chars, min = 1, max = 500)))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
    /// A manager's PIN, to void a paid order from a cashier's till.
    #[garde(inner(length(chars, min = 4, max = 12)))]
    #[schema(min_length = 4, max_length = 12)]
    pub manager_pin: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_kind: String,
    pub name: String,
    pub name_ar: Option<String>,
    #[schema(value_type = Object)]
    pub selection: serde_json::Value,
    pub quantity: i32,
    pub unit_price: i64,
    pub gross: i64,
    pub discount: i64,
    pub net: i64,
    pub vat: i64,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
    /// Set once the line was taken off the order; its figures stay as sold and the order's
    /// totals no longer count it.
    pub voided: Option<VoidedLine>,
}

/// Why and when a line was taken off its order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoidedLine {
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDto {
    pub id: Uuid,
    pub method: String,
    pub status: String,
    pub amount: i64,
    pub tendered: Option<i64>,
    pub change_given: Option<i64>,
    pub refunded: i64,
    /// Card payments: the terminal that took it, and what may be shown of the card.
    pub terminal_id: Option<String>,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One step of an order's status history: placement (`from` null), then each transition.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub from: Option<Status>,
    pub to: Status,
    /// The reason given (a cancel or void).
    pub reason: Option<String>,
    /// Who made the change (a staff member, or the guest or customer who placed the order).
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDto {
    // Number and day first: checkout serialises its answer before the batch claims the number,
    // then writes only this head again (`repo::numbered_answer`).
    /// Per branch and day (branch time), from 1.
    pub number: i32,
    pub business_date: chrono::NaiveDate,
    pub id: Uuid,
    pub branch_id: Uuid,
    pub channel: Channel,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    pub status: Status,
    pub table: Option<String>,
    pub client_ref: Option<Uuid>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    /// The phone to call about the order, E.164.
    pub contact_phone: Option<String>,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    #[schema(value_type = Object)]
    pub totals: Totals,
    pub total: i64,
    pub vat: i64,
    pub tip: i64,
    pub paid: i64,
    pub refunded: i64,
    /// What is still to pay: total − paid (refunds give money back; they do not reopen a debt).
    pub due: i64,
    pub payments: Vec<PaymentDto>,
    pub created_at: DateTime<Utc>,
}

/// What an order stores of its pricing (the lines' share lives on the lines).
pub fn stored_pricing(p: &Pricing) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}
