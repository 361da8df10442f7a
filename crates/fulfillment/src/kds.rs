//! The kitchen display: reading tickets, start, bump, rush, item done, course fire, and expo
//! readiness (the last bump of an order moves it to `ready` and tells the guest).
//! Every change is one transaction with its `kitchen` event.

use chrono::Utc;
use ordering::api::{self, Order, Status};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result},
    events::{Channel, NewEvent, append},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    model::{AllDayDto, Fired, TicketDto, TicketItemDto},
    repo::{self, ItemRow, TicketRow},
    timing,
};

/// Kitchen staff (a kitchen login or a kitchen device's PIN sign-in) and managers, of the
/// ticket's branch.
pub fn require_kitchen(who: &Principal, branch_id: Uuid) -> Result<()> {
    if who.kind != PrincipalKind::Staff
        || !matches!(who.role, Role::Kitchen | Role::Manager | Role::Owner)
    {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)
}

/// A transaction for reading `branch_id`'s kitchen: the branch must exist (404, as for another
/// brand's), the caller be its kitchen staff (403) and `station`, when named, one of its
/// stations (422).
pub(crate) async fn kitchen_view(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Tx> {
    let mut tx = state.db.begin(who.scope()).await?;
    if !repo::branch_exists(&mut tx, branch_id).await? {
        return Err(Error::NotFound);
    }
    require_kitchen(who, branch_id)?;
    if let Some(code) = station
        && !repo::station_exists(&mut tx, branch_id, code).await?
    {
        return Err(Error::invalid("station", "no such station at this branch"));
    }
    Ok(tx)
}

/// The modifiers of an order line's selection, by name (options, then each combo slot's item
/// and its options).
pub fn modifiers(selection: &serde_json::Value) -> Vec<String> {
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["name"].as_str().map(String::from))
            .collect()
    };
    let mut out = names(&selection["options"]);
    for slot in selection["slots"].as_array().into_iter().flatten() {
        if let Some(item) = slot["itemName"].as_str() {
            out.push(item.to_string());
        }
        out.extend(names(&slot["options"]));
    }
    out
}

pub fn dto(t: &TicketRow, items: &[ItemRow]) -> TicketDto {
    let mine: Vec<&ItemRow> = items.iter().filter(|i| i.ticket_id == t.id).collect();
    let target = timing::target(mine.iter().filter(|i| !i.held).map(|i| i.prep_seconds));
    let age = match (t.status.as_str(), t.fired_at) {
        ("held", _) | (_, None) => None,
        ("bumped", Some(f)) => Some((t.bumped_at.unwrap_or_else(Utc::now) - f).num_seconds()),
        (_, Some(f)) => Some((Utc::now() - f).num_seconds().max(0)),
    };
    TicketDto {
        id: t.id,
        order_id: t.order_id,
        order_number: t.number,
        order_type: t.order_type.clone(),
        table: t.table_ref.clone(),
        order_notes: t.order_notes.clone(),
        station: t.station.clone(),
        status: t.status.clone(),
        rush: t.rush,
        created_at: t.created_at,
        fired_at: t.fired_at,
        started_at: t.started_at,
        bumped_at: t.bumped_at,
        age_seconds: age,
        target_seconds: target,
        timing: timing::classify(age, target),
        items: mine
            .into_iter()
            .map(|i| TicketItemDto {
                id: i.id,
                name: i.name.clone(),
                name_ar: i.name_ar.clone(),
                quantity: i.quantity,
                modifiers: modifiers(&i.selection),
                notes: i.notes.clone(),
                seat: i.seat,
                course: i.course,
                held: i.held,
                done: i.done_at.is_some(),
                voided: i.voided_at.is_some(),
            })
            .collect(),
    }
}

pub(crate) async fn dtos(tx: &mut Tx, tickets: &[TicketRow]) -> Result<Vec<TicketDto>> {
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let items = repo::items(tx, &ids).await?;
    Ok(tickets.iter().map(|t| dto(t, &items)).collect())
}

pub(crate) async fn one(tx: &mut Tx, id: Uuid) -> Result<TicketDto> {
    let t = repo::ticket(tx, id, false).await?;
    Ok(dtos(tx, &[t]).await?.remove(0))
}

/// Ticket `id` as it is now, announced to its branch's kitchen screens as `kind`.
pub(crate) async fn announced(
    tx: &mut Tx,
    order: &Order,
    id: Uuid,
    kind: &str,
) -> Result<TicketDto> {
    let out = one(tx, id).await?;
    kitchen_event_at(tx, order.tenant_id, order.branch_id, kind, &out).await?;
    Ok(out)
}

/// A `kitchen` event about a ticket: its id, station, priority and items as they are now. It
/// carries the branch so that branch's kitchen screens (and only they) receive it.
pub(crate) async fn kitchen_event_at(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    kind: &str,
    t: &TicketDto,
) -> Result<()> {
    let stream = format!("ticket:{}", t.id);
    let items: Vec<_> = t
        .items
        .iter()
        .map(|i| json!({ "id": i.id, "name": i.name, "quantity": i.quantity, "held": i.held, "done": i.done }))
        .collect();
    append(
        tx,
        NewEvent {
            tenant_id,
            branch_id: Some(branch_id),
            channel: Channel::Kitchen,
            stream: &stream,
            kind,
            audience: None,
            payload: json!({
                "ticketId": t.id, "orderId": t.order_id, "number": t.order_number,
                "station": t.station, "status": t.status,
                "priority": if t.rush { "rush" } else { "normal" }, "items": items,
            }),
        },
    )
    .await?;
    Ok(())
}

/// Moves the order one lifecycle step, with its history (the orders trigger writes the
/// `orders` event).
async fn step(tx: &mut Tx, who: &Principal, order: &Order, from: Status, to: Status) -> Result<()> {
    step_because(tx, who, order, from, to, "kitchen").await
}

/// [`step`] with the reason the history records (`kitchen`, `delivery`).
pub(crate) async fn step_because(
    tx: &mut Tx,
    who: &Principal,
    order: &Order,
    from: Status,
    to: Status,
    reason: &str,
) -> Result<()> {
    if !api::allowed(order.order_type, from, to) {
        return Err(Error::conflict(
            "illegal_transition",
            format!(
                "the order cannot go from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        ));
    }
    api::step(tx, who.tenant_id, who.id, order.id, from, to, reason).await
}

/// The kitchen started on an order: `accepted` becomes `preparing`.
async fn order_preparing(tx: &mut Tx, who: &Principal, order: &Order) -> Result<Status> {
    if order.status == Status::Accepted {
        step(tx, who, order, Status::Accepted, Status::Preparing).await?;
        return Ok(Status::Preparing);
    }
    Ok(order.status)
}

/// Expo: every station ticket of the order is bumped, so the order is ready and the guest (or
/// customer, or the staff member who placed it) is told.
async fn order_ready(tx: &mut Tx, who: &Principal, order: &Order) -> Result<()> {
    if order_preparing(tx, who, order).await? != Status::Preparing {
        return Ok(());
    }
    step(tx, who, order, Status::Preparing, Status::Ready).await?;
    let stream = format!("order:{}", order.id);
    append(
        tx,
        NewEvent {
            tenant_id: order.tenant_id,
            branch_id: Some(order.branch_id),
            channel: Channel::Notifications,
            stream: &stream,
            kind: "order.ready",
            audience: Some(order.placed_by),
            payload: json!({
                "orderId": order.id, "number": order.number, "status": "ready",
                "message": format!("Your order {} is ready", order.number),
                "messageAr": format!("طلبك رقم {} جاهز", order.number),
            }),
        },
    )
    .await?;
    append(
        tx,
        NewEvent {
            tenant_id: order.tenant_id,
            branch_id: Some(order.branch_id),
            channel: Channel::Kitchen,
            stream: &stream,
            kind: "order.ready",
            audience: None,
            payload: json!({ "orderId": order.id, "number": order.number, "status": "ready" }),
        },
    )
    .await?;
    Ok(())
}

/// Opens a change on a ticket: checks the caller, then locks the order and the ticket (in
/// that order, like every writer). The tickets of a cancelled or voided order are off the
/// screens and take no more changes.
pub(crate) async fn lock(
    state: &AppState,
    who: &Principal,
    id: Uuid,
) -> Result<(Tx, Order, TicketRow)> {
    let mut tx = state.db.begin(who.scope()).await?;
    let t = repo::ticket(&mut tx, id, false).await?;
    require_kitchen(who, t.branch_id)?;
    let order = api::lock(&mut tx, t.order_id).await?;
    if matches!(order.status, Status::Cancelled | Status::Voided) {
        return Err(Error::conflict(
            "order_ended",
            format!("the order was {}", order.status.as_str()),
        ));
    }
    let t = repo::ticket(&mut tx, id, true).await?;
    Ok((tx, order, t))
}

pub async fn list(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Vec<TicketDto>> {
    let mut tx = kitchen_view(state, who, branch_id, station).await?;
    let tickets = repo::open_tickets(&mut tx, branch_id, station).await?;
    let out = dtos(&mut tx, &tickets).await?;
    tx.commit().await?;
    Ok(out)
}

pub async fn get(state: &AppState, who: &Principal, id: Uuid) -> Result<TicketDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let t = repo::ticket(&mut tx, id, false).await?;
    require_kitchen(who, t.branch_id)?;
    let out = dtos(&mut tx, &[t]).await?.remove(0);
    tx.commit().await?;
    Ok(out)
}

pub async fn all_day(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Vec<AllDayDto>> {
    let mut tx = kitchen_view(state, who, branch_id, None).await?;
    let rows = repo::all_day(&mut tx, branch_id, station).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| AllDayDto {
            name: r.name,
            name_ar: r.name_ar,
            quantity: r.quantity,
        })
        .collect())
}

pub async fn start(state: &AppState, who: &Principal, id: Uuid) -> Result<TicketDto> {
    let (mut tx, order, t) = lock(state, who, id).await?;
    match t.status.as_str() {
        "new" => {}
        "held" => {
            return Err(Error::conflict(
                "held",
                "this ticket waits for its course to be fired",
            ));
        }
        s => {
            return Err(Error::conflict(
                "illegal_transition",
                format!("a {s} ticket cannot be started"),
            ));
        }
    }
    repo::set_status(&mut tx, id, "started", true, None).await?;
    order_preparing(&mut tx, who, &order).await?;
    let out = announced(&mut tx, &order, id, "ticket.started").await?;
    tx.commit().await?;
    Ok(out)
}

/// Bump: the fired items are done. With nothing held the ticket is bumped (and may complete
/// the order); with a later course still held it goes back to waiting for the fire.
pub async fn bump(state: &AppState, who: &Principal, id: Uuid) -> Result<TicketDto> {
    let (mut tx, order, t) = lock(state, who, id).await?;
    match t.status.as_str() {
        "new" | "started" => {}
        "held" => {
            return Err(Error::conflict(
                "held",
                "nothing on this ticket has been fired yet",
            ));
        }
        _ => {
            return Err(Error::conflict(
                "already_bumped",
                "this ticket is already bumped",
            ));
        }
    }
    let now: chrono::DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&mut *tx)
        .await?;
    let still_held = repo::finish_fired_items(&mut tx, id, now).await?;
    if still_held > 0 {
        repo::set_status(&mut tx, id, "held", true, None).await?;
    } else {
        repo::set_status(&mut tx, id, "bumped", true, Some(now)).await?;
    }
    let out = announced(&mut tx, &order, id, "ticket.bumped").await?;
    if still_held == 0 && repo::all_bumped(&mut tx, order.id).await? {
        order_ready(&mut tx, who, &order).await?;
    } else {
        order_preparing(&mut tx, who, &order).await?;
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn rush(state: &AppState, who: &Principal, id: Uuid, on: bool) -> Result<TicketDto> {
    let (mut tx, order, t) = lock(state, who, id).await?;
    if t.status == "bumped" {
        return Err(Error::conflict(
            "already_bumped",
            "this ticket is already bumped",
        ));
    }
    repo::set_rush(&mut tx, id, on).await?;
    let out = announced(&mut tx, &order, id, "ticket.priority").await?;
    tx.commit().await?;
    Ok(out)
}

pub async fn item_done(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    item_id: Uuid,
) -> Result<TicketDto> {
    let (mut tx, order, t) = lock(state, who, id).await?;
    if t.status == "bumped" {
        return Err(Error::conflict(
            "already_bumped",
            "this ticket is already bumped",
        ));
    }
    match repo::item_done(&mut tx, id, item_id).await? {
        None => return Err(Error::NotFound),
        Some(false) => {
            return Err(Error::conflict(
                "held",
                "this item waits for its course to be fired",
            ));
        }
        Some(true) => {}
    }
    let out = announced(&mut tx, &order, id, "ticket.item_done").await?;
    tx.commit().await?;
    Ok(out)
}

/// The waiter fires the next held course of a dine-in order.
pub async fn fire(state: &AppState, who: &Principal, order_id: Uuid) -> Result<Fired> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = api::lock(&mut tx, order_id).await?;
    if who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    who.require_branch(order.branch_id)?;
    if !matches!(order.status, Status::Accepted | Status::Preparing) {
        return Err(Error::conflict(
            "illegal_transition",
            format!("a {} order has no course to fire", order.status.as_str()),
        ));
    }
    let Some((course, ids)) = repo::fire_next_course(&mut tx, order.id).await? else {
        return Err(Error::conflict(
            "nothing_held",
            "no course of this order is held",
        ));
    };
    let tickets = repo::order_tickets(&mut tx, order.id).await?;
    let fired: Vec<TicketRow> = tickets
        .into_iter()
        .filter(|t| ids.contains(&t.id))
        .collect();
    let out = dtos(&mut tx, &fired).await?;
    for t in &out {
        kitchen_event_at(&mut tx, order.tenant_id, order.branch_id, "ticket.fired", t).await?;
    }
    tx.commit().await?;
    Ok(Fired {
        course,
        tickets: out,
    })
}

/// The order's tickets, for expo and the waiter.
pub async fn order_tickets(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
) -> Result<Vec<TicketDto>> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = api::order(&mut tx, order_id).await?;
    if who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    who.require_branch(order.branch_id)?;
    let tickets = repo::order_tickets(&mut tx, order.id).await?;
    let out = dtos(&mut tx, &tickets).await?;
    tx.commit().await?;
    Ok(out)
}

/// The ticket's branch (after the same checks as reading it).
pub async fn ticket_branch(state: &AppState, who: &Principal, id: Uuid) -> Result<Uuid> {
    let mut tx = state.db.begin(who.scope()).await?;
    let t = repo::ticket(&mut tx, id, false).await?;
    require_kitchen(who, t.branch_id)?;
    tx.commit().await?;
    Ok(t.branch_id)
}
