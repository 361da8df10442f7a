//! What a guest session may order. Sessions are anonymous and free to start, so checkout
//! bounds what one can do: the table of a dine-in order comes from the QR code that started the
//! session, and a session places a bounded number of orders.

use platform::{
    auth::Principal,
    db::Tx,
    error::{Error, Result},
};

use super::{model::PlaceOrder, repo};
use crate::lifecycle::OrderType;

/// How many orders one guest session may place. A table's guests order a few rounds in an
/// evening; a session that needs more is not a guest at a table. Each guest at a table has a
/// session of their own, and staff take any further orders at the till.
pub const MAX_GUEST_ORDERS: i64 = 10;

pub(crate) fn dine_in_by_qr() -> Error {
    Error::invalid(
        "type",
        "a dine-in order is placed at the table: scan the table's QR code",
    )
}

/// A guest's checkout, inside its transaction: the session is locked (its checkouts take
/// turns), may place at most [`MAX_GUEST_ORDERS`] orders, and orders dine-in only at the table
/// whose QR code started it — the table comes from the session, never from the request. A
/// session started on the website orders for pickup or delivery.
pub(crate) async fn may_order(
    tx: &mut Tx,
    who: &Principal,
    req: &mut PlaceOrder,
    from_cart: bool,
) -> Result<()> {
    let session = identity::guests::lock(tx, who.id).await?;
    if repo::guest_orders(tx, who.id).await? >= MAX_GUEST_ORDERS {
        return Err(Error::unprocessable(
            "guest_order_limit",
            format!(
                "a guest session places at most {MAX_GUEST_ORDERS} orders; ask the staff to \
                 take the next one"
            ),
        ));
    }
    if from_cart || req.order_type != OrderType::DineIn {
        // A cart's table is the one whose QR code opened it.
        return Ok(());
    }
    let Some(label) = session.table_ref else {
        return Err(dine_in_by_qr());
    };
    if req.table.as_deref().is_some_and(|t| t != label) {
        return Err(Error::invalid(
            "table",
            format!(
                "this session is at table {label}; scan another table's QR code to order there"
            ),
        ));
    }
    req.table = Some(label);
    Ok(())
}
