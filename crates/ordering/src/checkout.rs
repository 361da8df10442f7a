//! Taking cash for an order, and the reconciliation of the books with the orders. Placing an
//! order and its lifecycle are in `orders`; their old paths are named here for the tender code.

use ledger::{self, Account};
use platform::{
    AppState,
    auth::{Principal, Role},
    db::Tx,
    error::{Error, Result},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    model::{OrderDto, PaymentRequest},
    orders::priced::{CashTender, cash_tender},
    repo,
};

// The old paths of what moved to `orders`, `policy` and `postings`, for the tender code still
// here and in the tender modules.
pub use crate::orders::{
    history::{get, status_history},
    place::*,
    status::{change_status, move_table},
};
pub(crate) use crate::policy::require_staff_of;
use crate::postings::cash_payment as cash_entry;
pub(crate) use crate::postings::sale_reversal;

async fn take_cash(
    tx: &mut Tx,
    who: &Principal,
    order_id: Uuid,
    branch_id: Uuid,
    due: i64,
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
    ledger::post(tx, cash_entry(who, branch_id, id, amount)).await?;
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
    let order = repo::order(&mut tx, order_id, true).await?;
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
    take_cash(&mut tx, who, order.id, order.branch_id, due, req).await?;
    let row = repo::order(&mut tx, order.id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// The reconciliation: ledger balances next to what the orders and payments say.
pub async fn reconcile(tx: &mut Tx) -> Result<Value> {
    let expected = repo::expected(tx).await?;
    let books = json!({
        "trialBalance": ledger::trial_balance(tx).await?,
        "receivable": ledger::balance(tx, Account::Receivable, None).await?,
        "cash": ledger::balance(tx, Account::CashDrawer, None).await?,
        "card": ledger::balance(tx, Account::CardClearing, None).await?,
        "online": ledger::balance(tx, Account::OnlineClearing, None).await?,
        "bank": ledger::balance(tx, Account::Bank, None).await?,
        "fees": ledger::balance(tx, Account::PaymentFees, None).await?,
        "vat": -ledger::balance(tx, Account::VatPayable, None).await?,
        "tips": -ledger::balance(tx, Account::TipsPayable, None).await?,
    });
    Ok(json!({ "books": books, "orders": expected }))
}
