//! What the carts API takes and gives.

use catalog::menu::Selection;
use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    lifecycle::{Channel, OrderType},
    orders::model::{DiscountRequest, MAX_TIP, PaymentRequest},
    pricing::Totals,
    tables::model::{CartTable, TableView},
};

#[derive(Clone, Debug, FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartMember {
    #[sqlx(rename = "member_id")]
    pub id: Uuid,
    /// `staff`, `customer` or `guest`.
    #[sqlx(rename = "member_kind")]
    pub kind: String,
    #[sqlx(rename = "display_name")]
    pub name: String,
    pub joined_at: DateTime<Utc>,
}

/// `POST /api/carts`: a cart at the POS (staff), on the website (a customer or a guest), or —
/// with `tableId` — the table's shared cart (joined if one is open).
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCartRequest {
    #[garde(skip)]
    pub branch_id: Uuid,
    /// The order type checkout will place (`dine_in` at a table).
    #[serde(rename = "type")]
    #[garde(skip)]
    pub order_type: OrderType,
    #[garde(skip)]
    pub table_id: Option<Uuid>,
}

/// `POST /api/tables/{token}/join`.
#[derive(Clone, Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinTable {
    /// How the others at the table see this guest ("Sara"); by default "Guest 2" and so on.
    #[garde(inner(length(chars, min = 1, max = 40)))]
    #[schema(min_length = 1, max_length = 40)]
    pub name: Option<String>,
}

/// `POST /api/carts/{id}/checkout`: the whole cart, the lines named, or the caller's own lines.
#[derive(Clone, Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CartCheckout {
    /// Only these lines (each guest paying their own); the rest stay in the cart.
    #[garde(inner(length(min = 1, max = 100)))]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Option<Vec<Uuid>>,
    /// Only the lines the caller added.
    #[serde(default)]
    #[garde(skip)]
    pub mine: bool,
    #[garde(skip)]
    pub client_ref: Option<Uuid>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500)]
    pub notes: Option<String>,
    #[serde(default)]
    #[garde(range(min = 0, max = MAX_TIP))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub tip: i64,
    #[serde(default)]
    #[garde(length(max = 5), dive)]
    #[schema(max_items = 5)]
    pub discounts: Vec<DiscountRequest>,
    #[garde(dive)]
    pub payment: Option<PaymentRequest>,
    #[garde(inner(length(chars, min = 3, max = 40)))]
    #[schema(min_length = 3, max_length = 40)]
    pub promo_code: Option<String>,
    /// As an order's `contactPhone`.
    #[garde(inner(length(chars, min = 2, max = 40)))]
    #[schema(min_length = 2, max_length = 40, example = "+966 50 123 4567")]
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[garde(inner(length(chars, min = 4, max = 12)))]
    #[schema(min_length = 4, max_length = 12)]
    pub manager_pin: Option<String>,
    /// A delivery cart's address (required for one, refused for others).
    #[garde(dive)]
    pub delivery: Option<crate::delivery::DeliveryAddress>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Who {
    pub id: Uuid,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartLineDto {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_kind: String,
    /// As on the menu when the line was added.
    pub name: String,
    pub name_ar: Option<String>,
    /// The choices as sent (ids).
    #[schema(value_type = Object)]
    pub selection: Selection,
    /// The choices with names and deltas from the current menu (absent when the line cannot
    /// be ordered now).
    #[schema(value_type = Option<Object>)]
    pub details: Option<catalog::menu::SelectionSnapshot>,
    pub quantity: i32,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
    pub added_by: Who,
    /// The unit price the guest saw when adding or last changing the line.
    pub unit_price: i64,
    /// The menu's unit price now; absent when the line cannot be ordered now.
    pub current_unit_price: Option<i64>,
    /// Why checkout would refuse the line now (sold out, not on the menu, price changed, …).
    pub problem: Option<String>,
    /// The order the line went into.
    pub order_id: Option<Uuid>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartDto {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub channel: Channel,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    pub table: Option<CartTable>,
    /// `open`, `checked_out` or `abandoned`.
    pub status: String,
    /// Bumped by every change; send it as `If-Match` to change only the cart you saw.
    pub version: i32,
    pub currency: String,
    pub members: Vec<CartMember>,
    pub lines: Vec<CartLineDto>,
    /// The lines not ordered yet that can be ordered now, at the menu's current prices (no
    /// tip, discount or promo code: those are given at checkout).
    #[schema(value_type = Option<Object>)]
    pub totals: Option<Totals>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinedTable {
    #[serde(flatten)]
    pub view: TableView,
    /// The caller as the table sees them.
    pub you: Who,
    pub cart: CartDto,
    /// A new guest session, when the caller came without a token: use it for the cart.
    #[schema(value_type = Option<Object>)]
    pub session: Option<identity::model::TokenPair>,
}
