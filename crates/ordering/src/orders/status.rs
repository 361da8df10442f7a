//! Moving an order through its lifecycle (a paid order's money goes back when it is voided),
//! and moving a dine-in party to another table.

use chrono::Utc;
use ledger::{self, NewEntry};
use platform::{
    AppState,
    auth::{Principal, Role},
    error::{Error, Result},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    model::{ChangeStatus, OrderDto},
    repo,
    tenders::Tenders,
};
use crate::{
    lifecycle::{self, Status},
    policy::require_staff_of,
    postings::sale_reversal,
};

/// `POST /api/orders/{id}/status`.
pub async fn change_status(
    state: &AppState,
    tenders: &dyn Tenders,
    who: &Principal,
    order_id: Uuid,
    req: &ChangeStatus,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = repo::order(&mut tx, order_id, true).await?;
    require_staff_of(who, order.branch_id)?;
    if !lifecycle::may_step(who.role, req.status) {
        return Err(Error::Forbidden);
    }
    if !lifecycle::allowed(order.order_type, order.status, req.status) {
        return Err(Error::conflict(
            "illegal_transition",
            format!(
                "a {:?} order cannot go from {} to {}",
                order.order_type,
                order.status.as_str(),
                req.status.as_str()
            ),
        ));
    }
    let ending = matches!(req.status, Status::Cancelled | Status::Voided);
    if ending {
        if req.reason.is_none() {
            return Err(Error::invalid(
                "reason",
                "say why the order is cancelled or voided",
            ));
        }
        // Anything ever paid counts: a refunded order's sale is already reduced by its refunds,
        // and reversing the whole sale again would take its VAT back twice.
        if order.refunded > 0 {
            return Err(Error::conflict(
                "refunded",
                "money was given back on this order: it is settled by its refunds, not voided",
            ));
        }
        let paid = order.paid > 0;
        if paid && req.status == Status::Cancelled {
            return Err(Error::conflict(
                "paid",
                "money was taken for this order: void it (with a manager) or refund it",
            ));
        }
        if paid {
            let reason = req.reason.as_deref().unwrap_or_default();
            let order = order.clone().into();
            tenders
                .void_paid(
                    state,
                    &mut tx,
                    who,
                    &order,
                    reason,
                    req.manager_pin.as_deref(),
                )
                .await?;
        } else {
            if req.status == Status::Voided && !matches!(who.role, Role::Owner | Role::Manager) {
                return Err(Error::Forbidden);
            }
            let reversal = sale_reversal(&order.pricing.0.totals);
            ledger::post(
                &mut tx,
                NewEntry {
                    tenant_id: who.tenant_id,
                    branch_id: order.branch_id,
                    kind: req.status.as_str(),
                    reference_type: "order",
                    reference_id: order.id,
                    memo: req.reason.as_deref(),
                    created_by: Some(who.id),
                    currency: &order.currency,
                    postings: reversal,
                },
            )
            .await?;
        }
    }
    repo::set_status(&mut tx, order.id, req.status, req.reason.as_deref()).await?;
    repo::history(
        &mut tx,
        who.tenant_id,
        order.id,
        Some(order.status),
        req.status,
        req.reason.as_deref(),
        Some(who.id),
    )
    .await?;
    let row = repo::order(&mut tx, order.id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// `POST /api/orders/{id}/table`: the party moved to another table.
pub async fn move_table(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    table: &str,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    move_in(&mut tx, who, order_id, table).await?;
    let row = repo::order(&mut tx, order_id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// Moves an open dine-in order to the table labelled `table`, in the caller's transaction: the
/// order alone (`POST /api/orders/{id}/table`) or with its party (`floor`, moving or merging a
/// table session). Either way the order's followers get `order.moved` and the move is audited.
pub(crate) async fn move_in(
    tx: &mut platform::db::Tx,
    who: &Principal,
    order_id: Uuid,
    table: &str,
) -> Result<()> {
    let order = repo::order(tx, order_id, true).await?;
    require_staff_of(who, order.branch_id)?;
    if order.order_type != crate::lifecycle::OrderType::DineIn || order.status.is_final() {
        return Err(Error::conflict(
            "not_at_a_table",
            "only an open dine-in order sits at a table",
        ));
    }
    repo::move_table(tx, order.id, table).await?;
    platform::events::append(
        tx,
        platform::events::NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(order.branch_id),
            channel: platform::events::Channel::Orders,
            stream: &format!("order:{}", order.id),
            kind: "order.moved",
            audience: (order.placed_by_kind != "staff").then_some(order.placed_by),
            payload: json!({ "orderId": order.id, "status": order.status, "number": order.number,
                             "table": table, "from": order.table_ref, "time": Utc::now() }),
        },
    )
    .await?;
    platform::audit::record(
        tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "order.moved",
            entity: "order",
            entity_id: Some(order.id),
            before: Some(json!({ "table": order.table_ref })),
            after: Some(json!({ "table": table })),
        },
    )
    .await?;
    Ok(())
}
