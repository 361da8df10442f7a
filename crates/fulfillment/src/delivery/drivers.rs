//! Drivers: shifts at a branch, dispatch (a manager's choice or the nearest available driver),
//! the driver app (their own deliveries only: accept, picked up, delivered with the customer's
//! hand-over code) and location pings. Every step is one transaction with its `orders` events:
//! one to the customer who follows the order, one to the driver when someone else acted.

use std::sync::LazyLock;

use ordering::api::{self, Status};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result},
    events::{Channel, NewEvent, append},
    rate_limit::Limiter,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    model::{DeliveryDto, DriverDto, LatLng, Position, ShiftDto, Tracking},
    repo::{self, DeliveryRow, ShiftRow},
};
use crate::{
    kds::step_because,
    setup::{begin_at, require_manager},
};

/// A driver app pings every few seconds at most; more is noise (and battery).
pub const PINGS_PER_MINUTE: u32 = 12;

/// Wrong hand-over codes allowed before the driver must call the branch.
pub const HANDOVER_ATTEMPTS: i32 = 5;

static PINGS: LazyLock<Limiter> = LazyLock::new(|| Limiter::per_minute(PINGS_PER_MINUTE));

fn require_driver(who: &Principal) -> Result<()> {
    if who.kind != PrincipalKind::Staff || who.role != Role::Driver {
        return Err(Error::Forbidden);
    }
    Ok(())
}

fn shift_dto(s: ShiftRow) -> ShiftDto {
    ShiftDto {
        id: s.id,
        branch_id: s.branch_id,
        driver_id: s.driver_id,
        started_at: s.started_at,
        ended_at: s.ended_at,
    }
}

fn position(
    lat: Option<f64>,
    lng: Option<f64>,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Position> {
    Some(Position {
        lat: lat?,
        lng: lng?,
        at: at?,
    })
}

pub fn dto(d: &DeliveryRow) -> DeliveryDto {
    DeliveryDto {
        order_id: d.order_id,
        branch_id: d.branch_id,
        number: d.number,
        status: d.status.clone(),
        order_status: d.order_status.clone(),
        address: d.address.clone(),
        address_notes: d.address_notes.clone(),
        lat: d.lat,
        lng: d.lng,
        fee: d.fee,
        due: d.due,
        currency: d.currency.clone(),
        driver_id: d.driver_id,
        driver_name: d.driver_name.clone(),
        assigned_at: d.assigned_at,
        picked_up_at: d.picked_up_at,
        delivered_at: d.delivered_at,
        created_at: d.created_at,
    }
}

/// The `delivery.*` events of a change: to the customer who placed the order (status, driver,
/// ETA), and to the driver when it was someone else who acted (an assignment by a manager).
async fn announce(tx: &mut Tx, who: &Principal, d: &DeliveryRow, kind: &str) -> Result<()> {
    let payload = json!({
        "orderId": d.order_id, "number": d.number, "status": d.status,
        "orderStatus": d.order_status, "etaMinutes": d.eta_minutes,
        "driver": d.driver_name.as_ref().map(|name| json!({ "name": name })),
        "time": chrono::Utc::now(),
    });
    let stream = format!("order:{}", d.order_id);
    let mut audiences = vec![];
    if d.placed_by_kind != "staff" {
        audiences.push(Some(d.placed_by));
    }
    if let Some(driver) = d.driver_id.filter(|id| *id != who.id) {
        audiences.push(Some(driver));
    }
    for audience in audiences {
        emit(tx, d, &stream, kind, audience, payload.clone()).await?;
    }
    Ok(())
}

async fn emit(
    tx: &mut Tx,
    d: &DeliveryRow,
    stream: &str,
    kind: &str,
    audience: Option<Uuid>,
    payload: Value,
) -> Result<()> {
    append(
        tx,
        NewEvent {
            tenant_id: d.tenant_id,
            branch_id: Some(d.branch_id),
            channel: Channel::Orders,
            stream,
            kind,
            audience,
            payload,
        },
    )
    .await?;
    Ok(())
}

// ---- shifts --------------------------------------------------------------------------------

pub async fn start_shift(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<ShiftDto> {
    require_driver(who)?;
    let mut tx = begin_at(state, who, branch_id).await?;
    who.require_branch(branch_id)?;
    let Some(shift) = repo::start_shift(&mut tx, who.tenant_id, branch_id, who.id).await? else {
        return Err(Error::conflict(
            "on_shift",
            "you are on a shift already; end it first",
        ));
    };
    tx.commit().await?;
    Ok(shift_dto(shift))
}

/// Ends the driver's shift; deliveries not handed over stay theirs.
pub async fn end_shift(state: &AppState, who: &Principal) -> Result<ShiftDto> {
    require_driver(who)?;
    let mut tx = state.db.begin(who.scope()).await?;
    let shift = repo::end_shift(&mut tx, who.id)
        .await?
        .ok_or_else(|| Error::conflict("not_on_shift", "you are not on a shift"))?;
    tx.commit().await?;
    Ok(shift_dto(shift))
}

/// The drivers on shift at a branch (managers' dispatch view).
pub async fn on_shift(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
) -> Result<Vec<DriverDto>> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_manager(who, branch_id)?;
    let rows = repo::drivers_on_shift(&mut tx, branch_id, false).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| DriverDto {
            driver_id: r.driver_id,
            name: r.name,
            shift_started_at: r.shift_started_at,
            position: position(r.lat, r.lng, r.pinged_at),
            active_deliveries: r.active_deliveries,
        })
        .collect())
}

// ---- dispatch ------------------------------------------------------------------------------

/// Assigns a delivery not yet picked up: to the named driver (on shift at the branch), or to
/// the nearest available one by their last ping.
pub async fn assign(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    driver_id: Option<Uuid>,
) -> Result<DeliveryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    api::lock(&mut tx, order_id).await?;
    let d = repo::delivery(&mut tx, order_id, true).await?;
    require_manager(who, d.branch_id)?;
    if !matches!(d.status.as_str(), "waiting" | "assigned" | "accepted") {
        return Err(Error::conflict(
            "delivery_under_way",
            format!("the delivery is {}: it keeps its driver", d.status),
        ));
    }
    if matches!(d.order_status.as_str(), "closed" | "cancelled" | "voided") {
        return Err(Error::conflict(
            "order_ended",
            "the order is closed, cancelled or voided",
        ));
    }
    repo::lock_dispatch(&mut tx, d.branch_id).await?;
    let on_shift = repo::drivers_on_shift(&mut tx, d.branch_id, driver_id.is_none()).await?;
    let driver = match driver_id {
        Some(id) => {
            on_shift
                .iter()
                .find(|r| r.driver_id == id)
                .ok_or_else(|| {
                    Error::conflict(
                        "driver_not_on_shift",
                        "that driver is not on shift at this branch",
                    )
                })?
                .driver_id
        }
        None => {
            on_shift
                .first()
                .ok_or_else(|| {
                    Error::conflict(
                        "no_driver_available",
                        "no driver on shift at this branch is free; assign one by hand or wait",
                    )
                })?
                .driver_id
        }
    };
    repo::assign(&mut tx, order_id, driver).await?;
    let d = repo::delivery(&mut tx, order_id, false).await?;
    announce(&mut tx, who, &d, "delivery.assigned").await?;
    tx.commit().await?;
    Ok(dto(&d))
}

// ---- the driver app ------------------------------------------------------------------------

pub async fn mine(state: &AppState, who: &Principal) -> Result<Vec<DeliveryDto>> {
    require_driver(who)?;
    let mut tx = state.db.begin(who.scope()).await?;
    let rows = repo::driver_deliveries(&mut tx, who.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(dto).collect())
}

/// The driver's own delivery, locked; another driver's is not found (ids are not probed).
async fn own(tx: &mut Tx, who: &Principal, order_id: Uuid) -> Result<DeliveryRow> {
    require_driver(who)?;
    api::lock(tx, order_id).await?;
    let d = repo::delivery(tx, order_id, true).await?;
    if d.driver_id != Some(who.id) {
        return Err(Error::NotFound);
    }
    Ok(d)
}

fn expect_status(d: &DeliveryRow, allowed: &[&str], action: &str) -> Result<()> {
    if allowed.contains(&d.status.as_str()) {
        Ok(())
    } else {
        Err(Error::conflict(
            "illegal_transition",
            format!("a delivery that is {} cannot be {action}", d.status),
        ))
    }
}

pub async fn accept(state: &AppState, who: &Principal, order_id: Uuid) -> Result<DeliveryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let d = own(&mut tx, who, order_id).await?;
    expect_status(&d, &["assigned"], "accepted")?;
    repo::set_status(&mut tx, order_id, "accepted").await?;
    let d = repo::delivery(&mut tx, order_id, false).await?;
    announce(&mut tx, who, &d, "delivery.accepted").await?;
    tx.commit().await?;
    Ok(dto(&d))
}

/// The food left the branch: the order must be `ready` and goes `out_for_delivery`.
pub async fn picked_up(state: &AppState, who: &Principal, order_id: Uuid) -> Result<DeliveryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let d = own(&mut tx, who, order_id).await?;
    expect_status(&d, &["accepted"], "picked up")?;
    let order = api::order(&mut tx, order_id).await?;
    if order.status != Status::Ready {
        return Err(Error::conflict(
            "order_not_ready",
            format!("the order is {}, not ready yet", order.status.as_str()),
        ));
    }
    step_because(
        &mut tx,
        who,
        &order,
        Status::Ready,
        Status::OutForDelivery,
        "delivery",
    )
    .await?;
    repo::set_status(&mut tx, order_id, "picked_up").await?;
    let d = repo::delivery(&mut tx, order_id, false).await?;
    announce(&mut tx, who, &d, "delivery.picked_up").await?;
    tx.commit().await?;
    Ok(dto(&d))
}

/// Handed over at the door against the customer's code. A wrong code is counted (and the count
/// kept although the request fails); after [`HANDOVER_ATTEMPTS`] the driver calls the branch.
pub async fn delivered(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    code: &str,
) -> Result<DeliveryDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let d = own(&mut tx, who, order_id).await?;
    expect_status(&d, &["picked_up"], "delivered")?;
    if d.handover_attempts >= HANDOVER_ATTEMPTS {
        return Err(Error::conflict(
            "handover_locked",
            "too many wrong codes: call the branch",
        ));
    }
    if d.handover_code != code {
        let attempts = repo::count_wrong_code(&mut tx, order_id).await?;
        tx.commit().await?;
        return Err(Error::unprocessable(
            "wrong_handover_code",
            format!(
                "that is not the customer's code ({} tries left)",
                (HANDOVER_ATTEMPTS - attempts).max(0)
            ),
        ));
    }
    let order = api::order(&mut tx, order_id).await?;
    step_because(
        &mut tx,
        who,
        &order,
        Status::OutForDelivery,
        Status::Delivered,
        "delivery",
    )
    .await?;
    repo::set_status(&mut tx, order_id, "delivered").await?;
    let d = repo::delivery(&mut tx, order_id, false).await?;
    announce(&mut tx, who, &d, "delivery.delivered").await?;
    tx.commit().await?;
    Ok(dto(&d))
}

/// A location ping from a driver on shift: stored rounded to about 11 m, and sent to the
/// customers whose order the driver is carrying, with the ETA from there.
pub async fn ping(state: &AppState, who: &Principal, at: LatLng) -> Result<Position> {
    require_driver(who)?;
    PINGS.check(&format!("{}:{}", who.tenant_id, who.id))?;
    let mut tx = state.db.begin(who.scope()).await?;
    if repo::open_shift(&mut tx, who.id).await?.is_none() {
        return Err(Error::conflict(
            "not_on_shift",
            "location is only taken during a shift",
        ));
    }
    let (lat, lng, time) =
        repo::insert_ping(&mut tx, who.tenant_id, who.id, at.lat, at.lng).await?;
    for d in repo::driver_deliveries(&mut tx, who.id).await? {
        if d.status != "picked_up" || d.placed_by_kind == "staff" {
            continue;
        }
        let payload = json!({ "orderId": d.order_id, "lat": lat, "lng": lng, "at": time,
                              "etaMinutes": d.eta_minutes });
        let stream = format!("order:{}", d.order_id);
        emit(
            &mut tx,
            &d,
            &stream,
            "delivery.position",
            Some(d.placed_by),
            payload,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Position { lat, lng, at: time })
}

// ---- following it --------------------------------------------------------------------------

/// The delivery as the customer follows it (with the hand-over code), as the branch's staff
/// see it, or as its driver sees it. Anyone else: not found.
pub async fn track(state: &AppState, who: &Principal, order_id: Uuid) -> Result<Tracking> {
    let mut tx = state.db.begin(who.scope()).await?;
    let d = repo::delivery(&mut tx, order_id, false).await?;
    tx.commit().await?;
    let placer = d.placed_by == who.id;
    let allowed = match (who.kind, who.role) {
        (PrincipalKind::Staff, Role::Driver) => d.driver_id == Some(who.id) || placer,
        (PrincipalKind::Staff, _) => who.can_access_branch(d.branch_id),
        _ => placer,
    };
    if !allowed {
        return Err(Error::NotFound);
    }
    // The driver's position is the customer's business only while the food is on its way.
    let driver_position = (d.status == "picked_up")
        .then(|| position(d.driver_lat, d.driver_lng, d.pinged_at))
        .flatten();
    Ok(Tracking {
        delivery: dto(&d),
        eta_minutes: d.eta_minutes,
        driver_position,
        handover_code: placer.then(|| d.handover_code.clone()),
    })
}
