//! Giving money back: partial and full refunds of a payment, and voiding an order that was
//! paid. Both lock the order row first, so concurrent refunds queue up and each sees what the
//! previous ones gave back — two refunds can never return more than was taken.
//!
//! Once everything given back on an order would pass [`APPROVAL_ABOVE`], a manager must approve:
//! by being the one signed in, or by typing their PIN on the till. The threshold is measured on
//! the order's refunds together, not on one request, so a large refund cannot be cut into small
//! ones that each stay under it.

pub mod card;
pub mod repo;

use garde::Validate;
use ledger::{self, Account, NewEntry, credit, debit};
pub use ordering::api::{APPROVAL_ABOVE, approver, require_till};
use ordering::api::{Order, OrderDto, sale_reversal};
use platform::{
    AppState,
    auth::Principal,
    db::Tx,
    error::{Error, Result},
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::attempts::{self, repo as attempts_repo};

/// Whether giving back `amount` more on `order` needs a manager: it does when the order's
/// refunds so far — those still under way at a card terminal included — and this one together
/// pass [`APPROVAL_ABOVE`]. An order's refunds include each of its payments', so this bounds
/// both. The caller holds the order's row lock, so concurrent refunds take turns here and each
/// counts the ones before it.
pub(crate) async fn needs_approval(tx: &mut Tx, order: &Order, amount: i64) -> Result<bool> {
    let under_way = attempts_repo::open_refunds_of_order(tx, order.id).await?;
    Ok(order.refunded + under_way + amount > APPROVAL_ABOVE)
}

/// The VAT inside `amount` of a refund, proportional to the invoice and never more than the
/// order's VAT not yet given back.
pub(crate) fn vat_share(order: &Order, amount: i64, vat_refunded: i64) -> i64 {
    let invoice = (order.total - order.tip).max(1) as i128;
    let share = (i128::from(amount) * i128::from(order.vat) * 2 + invoice) / (2 * invoice);
    (share as i64)
        .min(order.vat - vat_refunded)
        .min(amount)
        .max(0)
}

/// `POST /api/orders/{id}/refunds` (cash back against one payment).
pub async fn refund(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    req: &RefundRequest,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = ordering::api::lock(&mut tx, order_id).await?;
    require_till(who, order.branch_id)?;
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    let payment = repo::payment(&mut tx, req.payment_id, order.id)
        .await?
        .ok_or_else(|| Error::invalid("paymentId", "is not a payment of this order"))?;
    if payment.method != "cash" {
        // Back to the card through the provider that took it, in steps of its own.
        tx.rollback().await?;
        return card::refund(state, who, order_id, req).await;
    }
    let left = payment.amount - payment.refunded;
    if req.amount > left {
        return Err(Error::invalid(
            "amount",
            format!("at most {left} is left to refund on this payment"),
        ));
    }
    let approved_by = if needs_approval(&mut tx, &order, req.amount).await? {
        Some(
            approver(
                state,
                &mut tx,
                who,
                order.branch_id,
                req.manager_pin.as_deref(),
            )
            .await?,
        )
    } else {
        None
    };
    let vat_refunded = repo::refunded_vat(&mut tx, order.id).await?;
    let drawer = crate::drawers::open_session_of(&mut tx, who.device_id).await?;
    let vat = vat_share(&order, req.amount, vat_refunded);
    let id = Uuid::now_v7();
    repo::insert_refund(
        &mut tx,
        &repo::NewRefund {
            id,
            tenant_id: who.tenant_id,
            order_id: order.id,
            payment_id: payment.id,
            amount: req.amount,
            vat,
            reason: &req.reason,
            created_by: who.id,
            approved_by,
            drawer_session_id: drawer,
        },
    )
    .await?;
    ledger::post(
        &mut tx,
        NewEntry {
            tenant_id: who.tenant_id,
            branch_id: order.branch_id,
            kind: "refund",
            reference_type: "refund",
            reference_id: id,
            memo: Some(&req.reason),
            created_by: Some(who.id),
            currency: &order.currency,
            postings: vec![
                debit(Account::Refunds, req.amount - vat),
                debit(Account::VatPayable, vat),
                credit(Account::CashDrawer, req.amount),
            ],
        },
    )
    .await?;
    let dto = ordering::api::order_dto(&mut tx, order.id).await?;
    tx.commit().await?;
    Ok(dto)
}

/// Voids a paid order (the caller checked the transition, and that nothing was refunded yet —
/// voiding after a refund would take its VAT back twice): the sale is undone in the books and
/// every payment is given back in full.
pub async fn void_paid(
    state: &AppState,
    tx: &mut Tx,
    who: &Principal,
    order: &Order,
    reason: &str,
    manager_pin: Option<&str>,
) -> Result<Uuid> {
    let approved_by = approver(state, tx, who, order.branch_id, manager_pin).await?;
    if attempts_repo::open_attempts(tx, order.id).await? > 0 {
        return Err(Error::conflict(
            "payment_in_progress",
            "a card payment or refund on this order is being completed; try again in a minute",
        ));
    }
    // Card and online payments go back to the card at their provider before the void is
    // recorded; cash leaves the drawer.
    let mut postings = sale_reversal(&order.totals);
    postings.push(debit(Account::Receivable, order.paid));
    for payment in repo::payments_left(tx, order.id).await? {
        if payment.method != "cash" {
            card::refund_for_void(tx, &payment).await?;
        }
        postings.push(credit(
            attempts::clearing(&payment.method),
            payment.amount - payment.refunded,
        ));
    }
    ledger::post(
        tx,
        NewEntry {
            tenant_id: who.tenant_id,
            branch_id: order.branch_id,
            kind: "void",
            reference_type: "order",
            reference_id: order.id,
            memo: Some("voided after payment: sale reversed, payments given back"),
            created_by: Some(who.id),
            currency: &order.currency,
            postings,
        },
    )
    .await?;
    let drawer = crate::drawers::open_session_of(tx, who.device_id).await?;
    repo::refund_all_payments(tx, order.id, reason, who.id, approved_by, drawer).await?;
    Ok(approved_by)
}

/// `POST /api/orders/{id}/refunds`: cash back against one payment.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    #[garde(skip)]
    pub payment_id: Uuid,
    #[garde(range(min = 1, max = 1_000_000_000_000))]
    #[schema(minimum = 1, maximum = 1000000000000i64)]
    pub amount: i64,
    #[garde(length(chars, min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Needed above the approval threshold unless a manager is signed in.
    #[garde(inner(length(chars, min = 4, max = 12)))]
    #[schema(min_length = 4, max_length = 12)]
    pub manager_pin: Option<String>,
}
