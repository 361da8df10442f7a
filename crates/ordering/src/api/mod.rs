//! What the other contexts may use of ordering: a narrow set of functions and types, so that
//! fulfillment, payments and the contexts after them never read ordering's tables or its `repo`
//! modules. Nothing inside ordering uses this module; it only re-exports and wraps.
//!
//! For SQL that must join an order (a kitchen ticket's number, a delivery's amount due),
//! ordering owns the view `order_facts`: a read-only projection of `orders` that keeps the
//! caller's row-level security (`security_invoker`). Columns are only ever added to it.

use platform::{db::Tx, error::Result};
use uuid::Uuid;

pub use crate::{
    delivery::{DeliveryAddress, Zone, zone_at},
    lifecycle::{Channel, OrderType, Status, allowed},
    orders::{
        facts::Order,
        model::{Method, OrderDto, PaymentRequest},
        priced::{CashTender, cash_tender},
        tenders::Tenders,
    },
    policy::{APPROVAL_ABOVE, approver, require_staff_of, require_till},
    postings::{cash_payment, sale_reversal},
    pricing::Totals,
};

use crate::orders::repo;

/// The order as it is now; not found when it does not exist or the caller may not see it.
pub async fn order(tx: &mut Tx, id: Uuid) -> Result<Order> {
    Ok(repo::order(tx, id, false).await?.into())
}

/// The order, locked for update. Every writer that changes an order, or something that hangs
/// off it (a ticket, a delivery, a payment), locks the order first, so two of them serialise
/// instead of deadlocking.
pub async fn lock(tx: &mut Tx, id: Uuid) -> Result<Order> {
    Ok(repo::order(tx, id, true).await?.into())
}

/// The order as the API answers it (lines, totals, payments), as it is now in `tx`.
pub async fn order_dto(tx: &mut Tx, id: Uuid) -> Result<OrderDto> {
    let row = repo::order(tx, id, false).await?;
    repo::order_dto(tx, row).await
}

/// Adds `amount` to what was paid on the order (a payment was taken for it).
pub async fn add_paid(tx: &mut Tx, order_id: Uuid, amount: i64) -> Result<()> {
    sqlx::query("update orders set paid = paid + $2, updated_at = now() where id = $1")
        .bind(order_id)
        .bind(amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds `amount` to what was given back on the order (a refund was made).
pub async fn add_refunded(tx: &mut Tx, order_id: Uuid, amount: i64) -> Result<()> {
    sqlx::query("update orders set refunded = refunded + $2, updated_at = now() where id = $1")
        .bind(order_id)
        .bind(amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Everything paid on the order was given back (a paid order voided).
pub async fn refund_all(tx: &mut Tx, order_id: Uuid) -> Result<()> {
    sqlx::query("update orders set refunded = paid, updated_at = now() where id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves order `order_id` from `from` to `to` and records the step in its history, with
/// `reason` and the actor. It does not check the step: the caller asks [`allowed`] first and
/// answers with its own message. The orders trigger writes the `orders` event.
pub async fn step(
    tx: &mut Tx,
    tenant_id: Uuid,
    actor: Uuid,
    order_id: Uuid,
    from: Status,
    to: Status,
    reason: &str,
) -> Result<()> {
    repo::set_status(tx, order_id, to, None).await?;
    repo::history(
        tx,
        tenant_id,
        order_id,
        Some(from),
        to,
        Some(reason),
        Some(actor),
    )
    .await
}

/// The median time from placement to ready of the branch's last 50 ready orders, in seconds;
/// `None` before the branch has any.
pub async fn recent_ready_seconds(tx: &mut Tx, branch_id: Uuid) -> Result<Option<i64>> {
    repo::recent_ready_seconds(tx, branch_id).await
}

/// How many items the order holds (the sum of its lines' quantities; 0 for none).
pub async fn item_count(tx: &mut Tx, order_id: Uuid) -> Result<i32> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(quantity), 0)::integer from order_lines where order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}
