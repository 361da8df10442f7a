//! When an order should be ready, for the guest following it and for the staff.
//!
//! Once the kitchen has the order, the estimate is the kitchen's own: each open station ticket
//! is due at the moment its items reached the kitchen plus its prep-time target (the slowest
//! dish, [`timing::target`]), and the order is ready when its last ticket is. Before that (the
//! order not yet accepted, or every course still held) it is what the branch's recent orders
//! took from placement to ready (the median of the last 50). A delivery's arrival is the
//! delivery's own ETA (`GET /api/orders/{id}/delivery`).

use chrono::{DateTime, Duration, Utc};
use ordering::api::{self, Status};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    error::{Error, Result},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{repo, timing};

/// What an estimate rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The open kitchen tickets and their prep-time targets.
    Kitchen,
    /// The branch's recent orders, placement to ready.
    Recent,
    /// The order is ready (or past it, or ended): nothing to wait for.
    Done,
    /// No ticket and no history yet.
    Unknown,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    pub order_id: Uuid,
    pub status: Status,
    pub basis: Basis,
    /// When the order should be ready (null when done or unknown).
    pub ready_by: Option<DateTime<Utc>>,
    /// Whole minutes from now until `readyBy`, never below 0.
    pub minutes: Option<i64>,
}

/// `GET /api/orders/{id}/estimate`: the guest or customer who placed the order, or its branch's
/// staff; for anyone else the order is not found.
pub async fn of_order(state: &AppState, who: &Principal, order_id: Uuid) -> Result<Estimate> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = api::order(&mut tx, order_id).await?;
    let allowed = match who.kind {
        PrincipalKind::Staff => who.can_access_branch(order.branch_id),
        _ => order.placed_by == who.id,
    };
    if !allowed {
        return Err(Error::NotFound);
    }
    let waiting = matches!(
        order.status,
        Status::Placed | Status::Accepted | Status::Preparing
    );
    let (basis, ready_by) = if !waiting {
        (Basis::Done, None)
    } else if let Some(due) = kitchen_due(&mut tx, order.id).await? {
        (Basis::Kitchen, Some(due))
    } else if let Some(seconds) = api::recent_ready_seconds(&mut tx, order.branch_id).await? {
        (
            Basis::Recent,
            Some(order.created_at + Duration::seconds(seconds)),
        )
    } else {
        (Basis::Unknown, None)
    };
    tx.commit().await?;
    let now = Utc::now();
    Ok(Estimate {
        order_id: order.id,
        status: order.status,
        basis,
        ready_by,
        minutes: ready_by.map(|at| ((at - now).num_seconds().max(0) + 59) / 60),
    })
}

/// When the last open ticket with fired items is due; `None` when the kitchen has nothing of
/// the order in hand (no tickets yet, or only held courses). Tickets all bumped but the order
/// not yet ready (it is being finished): due now.
async fn kitchen_due(tx: &mut platform::db::Tx, order_id: Uuid) -> Result<Option<DateTime<Utc>>> {
    let tickets = repo::order_tickets(tx, order_id).await?;
    if tickets.is_empty() {
        return Ok(None);
    }
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let items = repo::items(tx, &ids).await?;
    let mut due: Option<DateTime<Utc>> = None;
    let mut open = false;
    for t in tickets.iter().filter(|t| t.status != "bumped") {
        open = true;
        let Some(fired) = t.fired_at else {
            continue;
        };
        let target = timing::target(
            items
                .iter()
                .filter(|i| i.ticket_id == t.id && !i.held)
                .map(|i| i.prep_seconds),
        );
        let at = fired + Duration::seconds(target);
        due = Some(due.map_or(at, |d| d.max(at)));
    }
    Ok(if open { due } else { Some(Utc::now()) })
}
