//! The order as the other contexts see it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::repo::OrderRow;
use crate::{
    lifecycle::{OrderType, Status},
    pricing::Totals,
};

/// An order's identity, state and money, without its lines or pricing detail. It is not part
/// of the HTTP API (no schema): each context answers its own types.
#[derive(Clone, Debug)]
pub struct Order {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    /// The number of the day the guest is called by.
    pub number: i32,
    pub order_type: OrderType,
    pub status: Status,
    pub table_ref: Option<String>,
    /// The staff member, customer or guest who placed it.
    pub placed_by: Uuid,
    /// `staff`, `customer` or `guest`.
    pub placed_by_kind: String,
    pub currency: String,
    /// Minor units, like every amount here.
    pub total: i64,
    pub vat: i64,
    pub tip: i64,
    pub paid: i64,
    pub refunded: i64,
    pub totals: Totals,
    pub created_at: DateTime<Utc>,
}

impl From<OrderRow> for Order {
    fn from(o: OrderRow) -> Self {
        Self {
            id: o.id,
            tenant_id: o.tenant_id,
            branch_id: o.branch_id,
            number: o.number,
            order_type: o.order_type,
            status: o.status,
            table_ref: o.table_ref,
            placed_by: o.placed_by,
            placed_by_kind: o.placed_by_kind,
            currency: o.currency,
            total: o.total,
            vat: o.vat,
            tip: o.tip,
            paid: o.paid,
            refunded: o.refunded,
            totals: o.pricing.0.totals,
            created_at: o.created_at,
        }
    }
}
