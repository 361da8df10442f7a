//! Taking a line off an order after it was sent (a void).
//!
//! Order lines are never updated, so a void is a record of its own (`order_line_voids`): the
//! line, the reason, who voided it and, for a line above the approval threshold, the manager who
//! approved it. In the same transaction the order is priced again without the line — the lines
//! that stay keep their nets to the halala (`checks::price_as_sold`), the service charge keeps
//! the share of the lines that stay, the delivery fee and the tip stay whole, and VAT is computed
//! once on the new invoice — and the sale in the books moves to the new total: one `line_void`
//! entry that reverses the old sale and books the new one. The kitchen's trigger strikes the
//! line's items off their tickets and tells each station's screen; the branch's tills hear
//! `order.line_voided`.
//!
//! A whole line is voided, once. The last line of an order is not voided (the order is cancelled
//! or voided instead), nor a line of an ended order, nor one of an order with a card or online
//! payment still open, and a void may not bring the total below what was paid (refund first).

pub mod model;
pub mod repo;
pub mod routes;

use ledger::NewEntry;
use platform::{
    AppState,
    auth::Principal,
    error::{Error, Result},
    events::{self, Channel, NewEvent},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    checks::{self, repo as checks_repo},
    orders::{model::OrderDto, repo as orders, tenders::Tenders},
    policy,
    postings::{sale, sale_reversal},
    pricing,
};
use model::VoidLineRequest;

/// `POST /api/orders/{id}/lines/{lineId}/void`: front-of-house staff of the branch.
pub async fn void_line(
    state: &AppState,
    tenders: &dyn Tenders,
    who: &Principal,
    order_id: Uuid,
    line_id: Uuid,
    req: &VoidLineRequest,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = orders::order(&mut tx, order_id, true).await?;
    policy::require_staff_of(who, order.branch_id)?;
    policy::channel_of(who)?;
    if order.status.is_final() {
        return Err(Error::conflict(
            "order_ended",
            format!("the order is {}", order.status.as_str()),
        ));
    }
    let lines = checks_repo::sold_lines(&mut tx, order.id).await?;
    let Some(line) = lines.iter().find(|l| l.id == line_id) else {
        return Err(if repo::voided(&mut tx, line_id).await? {
            Error::conflict("already_voided", "this line was voided already")
        } else {
            Error::NotFound
        });
    };
    if lines.len() == 1 {
        return Err(Error::conflict(
            "last_line",
            "this is the order's last line: cancel or void the order instead",
        ));
    }
    if tenders.open_attempts(&mut tx, order.id).await? > 0 {
        return Err(Error::conflict(
            "payment_in_progress",
            "a card or online payment of this order is still open",
        ));
    }
    let approved_by = if line.net > policy::APPROVAL_ABOVE {
        Some(
            policy::approver(
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

    let old = &order.pricing.0.totals;
    let kept: Vec<_> = lines.iter().filter(|l| l.id != line_id).cloned().collect();
    let kept_net: i64 = kept.iter().map(|l| l.net).sum();
    // The service charge was charged on every line: the lines that stay keep their share.
    let service = pricing::allocate(old.service_charge, &[kept_net.max(1), line.net])[0];
    let priced = checks::price_as_sold(
        &kept,
        service,
        old.delivery_fee,
        old.tip,
        (old.vat_rate_bp, old.vat_inclusive),
    )?;
    if priced.totals.total < order.paid {
        return Err(Error::conflict(
            "paid",
            "more was paid than the order would come to without this line: refund first",
        ));
    }

    repo::insert(
        &mut tx,
        &repo::NewVoid {
            tenant_id: who.tenant_id,
            order_id: order.id,
            line_id,
            reason: &req.reason,
            amount: line.net,
            voided_by: who.id,
            approved_by,
        },
    )
    .await?;
    repo::reprice(&mut tx, order.id, &priced).await?;
    let memo = format!("{} × {} voided: {}", line.quantity, line.name, req.reason);
    let mut postings = sale_reversal(old);
    postings.extend(sale(&priced.totals));
    ledger::post(
        &mut tx,
        NewEntry {
            tenant_id: who.tenant_id,
            branch_id: order.branch_id,
            kind: "line_void",
            reference_type: "order",
            reference_id: order.id,
            memo: Some(&memo),
            created_by: Some(who.id),
            currency: &order.currency,
            postings,
        },
    )
    .await?;
    // Equal shares follow the new total, so the guests still split what is owed.
    let shares = checks_repo::shares(&mut tx, order.id).await?;
    if !shares.is_empty() {
        let amounts = checks::equal_shares(priced.totals.total, shares.len() as u32);
        checks_repo::replace_shares(&mut tx, who.tenant_id, order.id, &amounts, who.id).await?;
    }
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "order.line_voided",
            entity: "order",
            entity_id: Some(order.id),
            before: Some(json!({ "total": order.total, "lineId": line_id })),
            after: Some(json!({
                "total": priced.totals.total, "reason": req.reason,
                "amount": line.net, "approvedBy": approved_by,
            })),
        },
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(order.branch_id),
            channel: Channel::Orders,
            stream: &format!("order:{}", order.id),
            kind: "order.line_voided",
            audience: None,
            payload: json!({
                "orderId": order.id, "number": order.number, "lineId": line_id,
                "table": order.table_ref, "total": priced.totals.total,
            }),
        },
    )
    .await?;
    let row = orders::order(&mut tx, order.id, false).await?;
    let dto = orders::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    state.db.announce_events().await;
    Ok(dto)
}
