//! The queue: a branch's waitlist of walk-in parties and its line of pickup orders. The host
//! adds, seats, removes and marks no-shows; each waiting entry has a position and an estimated
//! wait learnt from the branch's recent served entries (`queue_estimates` in SQL). Every change
//! tells each waiting guest their new position and estimate on the `queue` channel.

pub mod model;
pub mod repo;
pub mod routes;

use ordering::api::{self, OrderType, Status};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result},
    events::{Channel, NewEvent, append},
};
use serde_json::json;
use uuid::Uuid;

use self::{
    model::{EntryDto, Joined, NewParty, NewPickup},
    repo::{EntryRow, NewEntry},
};
use crate::setup::begin_at;

/// Front-of-house staff who run the door: hosts are waiters, cashiers and managers.
fn require_host(who: &Principal, branch_id: Uuid) -> Result<()> {
    if who.kind != PrincipalKind::Staff
        || !matches!(
            who.role,
            Role::Owner | Role::Manager | Role::Cashier | Role::Waiter
        )
    {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)
}

fn dto(e: EntryRow) -> EntryDto {
    EntryDto {
        id: e.id,
        branch_id: e.branch_id,
        kind: e.kind,
        name: e.name,
        size: e.size,
        phone: e.phone,
        order_id: e.order_id,
        status: e.status,
        position: e.position,
        estimated_wait_minutes: e.estimated_wait_minutes,
        joined_at: e.joined_at,
        ended_at: e.ended_at,
    }
}

/// After a change: the changed entry's own event when it left the line, each waiting guest's
/// new position and estimate, and one `queue.changed` for the branch's screens.
async fn announce(tx: &mut Tx, changed: &EntryRow) -> Result<()> {
    let branch_id = changed.branch_id;
    let mut out: Vec<(String, Option<Uuid>, String, serde_json::Value)> = vec![];
    if changed.status != "waiting"
        && let Some(guest) = changed.guest_id
    {
        out.push((
            format!("queue.{}", changed.status),
            Some(guest),
            format!("queue:{}", changed.id),
            json!({ "entryId": changed.id, "status": changed.status }),
        ));
    }
    for e in repo::waiting(tx, branch_id).await? {
        if let Some(guest) = e.guest_id {
            out.push((
                "queue.position".into(),
                Some(guest),
                format!("queue:{}", e.id),
                json!({ "entryId": e.id, "status": e.status, "position": e.position,
                        "estimatedWaitMinutes": e.estimated_wait_minutes }),
            ));
        }
    }
    out.push((
        "queue.changed".into(),
        None,
        format!("queue-branch:{branch_id}"),
        json!({ "branchId": branch_id, "entryId": changed.id, "status": changed.status }),
    ));
    for (kind, audience, stream, payload) in out {
        append(
            tx,
            NewEvent {
                tenant_id: changed.tenant_id,
                branch_id: Some(branch_id),
                channel: Channel::Queue,
                stream: &stream,
                kind: &kind,
                audience,
                payload,
            },
        )
        .await?;
    }
    Ok(())
}

/// A party joins: added by the host (who gets a guest session for the party to follow its
/// place with), or by a guest of this branch or a customer for themselves.
pub async fn add_party(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &NewParty,
) -> Result<Joined> {
    let staff = who.kind == PrincipalKind::Staff;
    if staff {
        require_host(who, branch_id)?;
    } else if who.branch_id.is_some_and(|b| b != branch_id) {
        return Err(Error::Forbidden);
    }
    // The branch first (404 for an unknown one), before any session is started for it.
    begin_at(state, who, branch_id).await?.commit().await?;
    let (guest_id, session) = if staff {
        let (subject, pair) =
            identity::guests::start(state, who.tenant_id, branch_id, None).await?;
        (subject.id, Some(pair))
    } else {
        (who.id, None)
    };
    let mut tx = state.db.begin(who.scope()).await?;
    repo::lock(&mut tx, branch_id).await?;
    if !staff && repo::guest_waiting(&mut tx, branch_id, who.id).await? {
        return Err(Error::conflict(
            "already_waiting",
            "you are on this branch's waitlist already",
        ));
    }
    let id = repo::insert(
        &mut tx,
        &NewEntry {
            tenant_id: who.tenant_id,
            branch_id,
            kind: "party",
            name: &req.name,
            size: req.party_size,
            phone: req.phone.as_deref(),
            order_id: None,
            guest_id: Some(guest_id),
            created_by: who.id,
        },
    )
    .await?;
    let row = repo::entry(&mut tx, id).await?;
    announce(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Joined {
        entry: dto(row),
        session,
    })
}

/// A pickup or takeaway order joins the pickup line; its guest follows it there.
pub async fn add_pickup(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &NewPickup,
) -> Result<EntryDto> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_host(who, branch_id)?;
    let order = api::order(&mut tx, req.order_id).await?;
    if order.branch_id != branch_id {
        return Err(Error::invalid("orderId", "not an order of this branch"));
    }
    if !matches!(order.order_type, OrderType::Pickup | OrderType::Takeaway)
        || order.status.is_final()
        || matches!(order.status, Status::PickedUp)
    {
        return Err(Error::invalid(
            "orderId",
            "only an open pickup or takeaway order waits in the pickup line",
        ));
    }
    repo::lock(&mut tx, branch_id).await?;
    let size = api::item_count(&mut tx, order.id).await?.max(1);
    let id = repo::insert(
        &mut tx,
        &NewEntry {
            tenant_id: who.tenant_id,
            branch_id,
            kind: "pickup",
            name: &format!("#{}", order.number),
            size,
            phone: None,
            order_id: Some(order.id),
            guest_id: (order.placed_by_kind != "staff").then_some(order.placed_by),
            created_by: who.id,
        },
    )
    .await
    .map_err(|e| match e {
        Error::Sqlx(sqlx::Error::Database(db))
            if db.constraint() == Some("queue_entries_order_key") =>
        {
            Error::conflict("already_in_line", "the order is in the pickup line already")
        }
        other => other,
    })?;
    let row = repo::entry(&mut tx, id).await?;
    announce(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(dto(row))
}

pub async fn list(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<Vec<EntryDto>> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_host(who, branch_id)?;
    let rows = repo::waiting(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(dto).collect())
}

/// One entry: the branch's hosts, or the guest who follows it. Anyone else: not found.
pub async fn get(state: &AppState, who: &Principal, id: Uuid) -> Result<EntryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let row = repo::entry(&mut tx, id).await?;
    tx.commit().await?;
    visible(who, row)
}

/// A pickup order's entry in the pickup line, for the order page: the guest knows their order,
/// not the entry the host made for it. The same people see it as the entry itself; an order
/// not in the line is not found.
pub async fn of_order(state: &AppState, who: &Principal, order_id: Uuid) -> Result<EntryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    // Most orders never join the line: end the transaction before answering 404.
    let row = repo::entry_of_order(&mut tx, order_id).await;
    tx.commit().await?;
    visible(who, row?)
}

fn visible(who: &Principal, row: repo::EntryRow) -> Result<EntryDto> {
    let allowed = row.guest_id == Some(who.id) || require_host(who, row.branch_id).is_ok();
    if !allowed {
        return Err(Error::NotFound);
    }
    Ok(dto(row))
}

/// What the host can do to a waiting entry.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    /// The party sat down.
    Seat,
    /// The pickup order was handed over.
    Done,
    Remove,
    NoShow,
}

pub async fn act(state: &AppState, who: &Principal, id: Uuid, action: Action) -> Result<EntryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let row = repo::entry(&mut tx, id).await?;
    require_host(who, row.branch_id)?;
    let status = match (action, row.kind.as_str()) {
        (Action::Seat, "party") => "seated",
        (Action::Done, "pickup") => "done",
        (Action::Remove, _) => "removed",
        (Action::NoShow, _) => "no_show",
        (Action::Seat, _) => {
            return Err(Error::conflict("not_a_party", "only a party is seated"));
        }
        (Action::Done, _) => {
            return Err(Error::conflict(
                "not_a_pickup",
                "only a pickup order is handed over",
            ));
        }
    };
    repo::lock(&mut tx, row.branch_id).await?;
    if !repo::end(&mut tx, id, status).await? {
        return Err(Error::conflict(
            "not_waiting",
            format!("the entry is {} already", row.status),
        ));
    }
    let row = repo::entry(&mut tx, id).await?;
    announce(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(dto(row))
}
