//! Taking cash for an order: into the drawer of the device the cashier signed in on.

pub mod repo;

use ordering::api::{
    CashTender, OrderDto, PaymentRequest, cash_payment, cash_tender, require_staff_of,
};
use platform::{
    AppState,
    auth::{Principal, Role},
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

async fn take_cash(
    tx: &mut Tx,
    who: &Principal,
    order_id: Uuid,
    branch_id: Uuid,
    (due, currency): (i64, &str),
    payment: &PaymentRequest,
) -> Result<Uuid> {
    let CashTender { amount, tendered } = cash_tender(payment, due)?;
    let id = Uuid::now_v7();
    let drawer = crate::drawers::open_session_of(tx, who.device_id).await?;
    repo::insert_cash_payment(
        tx,
        &repo::NewPayment {
            id,
            tenant_id: who.tenant_id,
            branch_id,
            order_id,
            amount,
            tendered: Some(tendered),
            change_given: Some(tendered - amount),
            taken_by: Some(who.id),
            drawer_session_id: drawer,
        },
    )
    .await?;
    ledger::post(tx, cash_payment(who, branch_id, id, amount, currency)).await?;
    Ok(id)
}

/// `POST /api/orders/{id}/payments` (cash).
pub async fn pay(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    req: &PaymentRequest,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = ordering::api::lock(&mut tx, order_id).await?;
    require_staff_of(who, order.branch_id)?;
    if matches!(who.role, Role::Kitchen | Role::Driver) {
        return Err(Error::Forbidden);
    }
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    // Refunds reduce the sale, not the debt: what is due is the total less what was paid.
    let due = order.total - order.paid;
    take_cash(
        &mut tx,
        who,
        order.id,
        order.branch_id,
        (due, &order.currency),
        req,
    )
    .await?;
    let dto = ordering::api::order_dto(&mut tx, order.id).await?;
    tx.commit().await?;
    Ok(dto)
}
