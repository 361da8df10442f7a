//! Who accepts the orders guests place, per branch and channel (a table's QR code, the website
//! for pickup, for delivery): automatically, once paid online, or staff at a till.
//!
//! The database does the accepting (migration `…_order_acceptance.sql`): when the placing
//! transaction commits, or when a payment brings an order's paid amount up to its total, the
//! trigger `orders_accept_on_place` / `orders_accept_on_paid` accepts the order if the branch's
//! rule says so — the kitchen's trigger then makes its tickets — and otherwise, at placement,
//! schedules the time-out task. The task ([`expire_task`]) cancels an unpaid order nobody
//! accepted in time; the guest hears it through `order.cancelled` with the reason. An order
//! already paid is not cancelled by the time-out: money taken is given back by staff (a void at
//! the till), and the tills are told with `order.acceptance_overdue`.

pub mod model;
pub mod repo;
pub mod routes;

use ledger::NewEntry;
use platform::{
    AppState,
    auth::Principal,
    db::TenantScope,
    error::{Error, Result},
    events::{self, Channel, NewEvent},
    queue::{self, TaskCtx},
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::{lifecycle::Status, orders::repo as orders, postings::sale_reversal};
use model::{AcceptanceInput, AcceptanceRule};

/// The time-out's task kind (the acceptance trigger enqueues it).
pub const EXPIRE_TASK: &str = "ordering.expire_unaccepted";

/// Why an order nobody accepted was cancelled, as the guest is told.
pub const EXPIRED_REASON: &str = "Nobody accepted the order in time";

/// `GET`: the branch's staff.
pub async fn get(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
) -> Result<Vec<AcceptanceRule>> {
    who.require_branch(branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    let rules = repo::rules(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(rules)
}

/// `PUT`: the owner or a manager of the branch; audited. Orders already placed keep the rule
/// they were placed under.
pub async fn set(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    input: &AcceptanceInput,
) -> Result<Vec<AcceptanceRule>> {
    who.require_branch(branch_id)?;
    for (i, r) in input.rules.iter().enumerate() {
        if input.rules[..i].iter().any(|o| o.channel == r.channel) {
            return Err(Error::invalid(
                &format!("rules[{i}].channel"),
                "a channel is named twice",
            ));
        }
    }
    let mut tx = state.db.begin(who.scope()).await?;
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    let before = repo::rules(&mut tx, branch_id).await?;
    for r in &input.rules {
        repo::set_rule(&mut tx, who.tenant_id, branch_id, r, who.id).await?;
    }
    let after = repo::rules(&mut tx, branch_id).await?;
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "branch.order_acceptance_updated",
            entity: "branch",
            entity_id: Some(branch_id),
            before: Some(json!(before)),
            after: Some(json!(after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpirePayload {
    order_id: Uuid,
}

/// The time-out of an order that waited for staff: nothing to do once it was accepted or ended;
/// an unpaid one is cancelled with its sale reversed; a paid one is left to staff, who are told.
pub async fn expire_task(ctx: TaskCtx, payload: ExpirePayload) -> anyhow::Result<()> {
    let tenant_id = ctx
        .tenant_id
        .ok_or_else(|| queue::permanent(anyhow::anyhow!("an order belongs to a tenant")))?;
    let mut tx = ctx.db.begin(TenantScope::tenant(tenant_id)).await?;
    let order = match orders::order(&mut tx, payload.order_id, true).await {
        Ok(o) => o,
        Err(Error::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if order.status != Status::Placed {
        return Ok(());
    }
    if order.paid > 0 {
        events::append(
            &mut tx,
            NewEvent {
                tenant_id,
                branch_id: Some(order.branch_id),
                channel: Channel::Orders,
                stream: &format!("order:{}", order.id),
                kind: "order.acceptance_overdue",
                audience: None,
                payload: json!({ "orderId": order.id, "number": order.number, "paid": order.paid }),
            },
        )
        .await?;
    } else {
        ledger::post(
            &mut tx,
            NewEntry {
                tenant_id,
                branch_id: order.branch_id,
                currency: &order.currency,
                kind: Status::Cancelled.as_str(),
                reference_type: "order",
                reference_id: order.id,
                memo: Some(EXPIRED_REASON),
                created_by: None,
                postings: sale_reversal(&order.pricing.0.totals),
            },
        )
        .await?;
        orders::set_status(&mut tx, order.id, Status::Cancelled, Some(EXPIRED_REASON)).await?;
        orders::history(
            &mut tx,
            tenant_id,
            order.id,
            Some(Status::Placed),
            Status::Cancelled,
            Some(EXPIRED_REASON),
            None,
        )
        .await?;
    }
    tx.commit().await?;
    ctx.db.announce_events().await;
    Ok(())
}

/// Registers ordering's task handlers.
pub fn register(registry: &mut queue::Registry) {
    registry.register_fn(EXPIRE_TASK, expire_task);
}
