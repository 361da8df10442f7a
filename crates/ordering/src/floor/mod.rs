//! The floor: where a branch's tables stand on its plan (laid out by its managers), and the
//! party at each table — a table session, from seating to leaving — with the state of its meal
//! that the POS colours the table by. Orders stay tied to a table by its label
//! (`orders.table_ref`): moving or merging a party moves its open orders with it, through the
//! orders' own move.
//!
//! Every session change appends a `table.*` event to the branch's `orders` channel in its
//! transaction, so every POS following the branch redraws its floor.

pub mod model;
pub mod repo;
pub mod routes;

use platform::{
    AppState,
    auth::Principal,
    db::Tx,
    error::{Error, Result, ResultExt},
    events::{self, NewEvent},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    orders::status::move_in,
    tables::{self, repo::DiningTable},
};
use model::{FloorPlanInput, FloorSession, FloorTable, TableSession};
use repo::{FloorRow, NewSession, SessionRow};

fn occupied(label: &str) -> Error {
    Error::conflict(
        "table_occupied",
        format!("table {label} has a party or orders at it"),
    )
}

// ---- the floor -----------------------------------------------------------------------------

/// `GET /api/branches/{branch_id}/floor`.
pub async fn floor(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<Vec<FloorTable>> {
    who.require_branch(branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    let rows = repo::floor(&mut tx, branch_id).await?;
    let servers: Vec<Uuid> = rows.iter().filter_map(|r| r.server_id).collect();
    let names = identity::api::display_names(&mut tx, &servers).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let session = match (r.session_id, r.guests, r.server_id, r.opened_at) {
                (Some(id), Some(guests), Some(server_id), Some(opened_at)) => Some(FloorSession {
                    id,
                    guests,
                    server_id,
                    server_name: names.get(&server_id).cloned(),
                    device_id: r.device_id,
                    opened_at,
                    check_printed_at: r.check_printed_at,
                    minutes_seated: r.minutes_seated.unwrap_or(0),
                }),
                _ => None,
            };
            FloorTable {
                id: r.id,
                label: r.label,
                floor_area: r.floor_area,
                seats: r.seats,
                x: r.x,
                y: r.y,
                width: r.width,
                height: r.height,
                shape: r.shape,
                rotation: r.rotation,
                state: r.state,
                session,
                orders: r.orders.0,
                total: r.total,
                due: r.due,
            }
        })
        .collect())
}

/// `PUT /api/branches/{branch_id}/floor-plan`: every table placed, or none (a table of another
/// branch or brand, or one named twice, is a 422 and nothing changes).
pub async fn lay_out(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    plan: &FloorPlanInput,
) -> Result<Vec<DiningTable>> {
    who.require_branch(branch_id)?;
    let mut problems = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in plan.tables.iter().enumerate() {
        let mut problem = |field: &str, why: &str| {
            problems
                .entry(format!("tables[{i}].{field}"))
                .or_default()
                .push(why.into());
        };
        if !seen.insert(t.id) {
            problem("id", "this table is placed twice");
        }
        if t.x + t.width > tables::model::PLAN {
            problem(
                "x",
                "x + width must be at most 1000: the table must lie on the plan",
            );
        }
        if t.y + t.height > tables::model::PLAN {
            problem(
                "y",
                "y + height must be at most 1000: the table must lie on the plan",
            );
        }
    }
    let mut tx = state.db.begin(who.scope()).await?;
    let ids: Vec<Uuid> = plan.tables.iter().map(|t| t.id).collect();
    let found = repo::lock_branch_tables(&mut tx, branch_id, &ids).await?;
    for (i, t) in plan.tables.iter().enumerate() {
        if !found.contains(&t.id) {
            problems
                .entry(format!("tables[{i}].id"))
                .or_default()
                .push("not a table of this branch".into());
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation { fields: problems });
    }
    let before = tables::repo::tables(&mut tx, branch_id).await?;
    repo::place_tables(&mut tx, branch_id, &plan.tables).await?;
    let after = tables::repo::tables(&mut tx, branch_id).await?;
    let layout = |all: &[DiningTable]| -> Value {
        all.iter()
            .filter(|t| seen.contains(&t.id))
            .map(|t| {
                json!({ "id": t.id, "x": t.x, "y": t.y, "width": t.width, "height": t.height,
                        "shape": t.shape, "rotation": t.rotation, "seats": t.seats,
                        "floorArea": t.floor_area })
            })
            .collect()
    };
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "floor_plan.updated",
            entity: "branch",
            entity_id: Some(branch_id),
            before: Some(layout(&before)),
            after: Some(layout(&after)),
        },
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(branch_id),
            channel: events::Channel::Orders,
            stream: &format!("floor:{branch_id}"),
            kind: "floor.laid_out",
            audience: None,
            payload: json!({ "branchId": branch_id, "tableIds": ids }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

// ---- table sessions ------------------------------------------------------------------------

/// `POST /api/dining-tables/{id}/seat`: a party sits down at a table that has none.
pub async fn seat(
    state: &AppState,
    who: &Principal,
    table_id: Uuid,
    guests: i32,
    server_id: Option<Uuid>,
) -> Result<TableSession> {
    let mut tx = state.db.begin(who.scope()).await?;
    // The table's lock makes seating and moving a party here take turns.
    let table = tables::repo::table(&mut tx, table_id, true).await?;
    who.require_branch(table.branch_id)?;
    in_service(&table)?;
    let server_id = match server_id {
        Some(id) if id != who.id => serving(&mut tx, id, table.branch_id).await?,
        _ => who.id,
    };
    if repo::floor_table(&mut tx, table.branch_id, table.id)
        .await?
        .session_id
        .is_some()
    {
        return Err(seated_already(&table.label));
    }
    let id = repo::insert_session(
        &mut tx,
        &NewSession {
            tenant_id: who.tenant_id,
            branch_id: table.branch_id,
            table_id: table.id,
            guests,
            server_id,
            device_id: who.device_id,
        },
    )
    .await
    .on_constraint("table_sessions_open_key", || seated_already(&table.label))?;
    let s = repo::session(&mut tx, id, false).await?;
    changed(
        &mut tx,
        who,
        &s,
        "table.seated",
        json!({ "guests": guests }),
    )
    .await?;
    answer(tx, s).await
}

fn seated_already(label: &str) -> Error {
    Error::conflict(
        "table_occupied",
        format!("a party is seated at table {label} already"),
    )
}

fn in_service(table: &DiningTable) -> Result<()> {
    if table.active {
        Ok(())
    } else {
        Err(Error::conflict(
            "table_out_of_service",
            format!("table {} is out of service", table.label),
        ))
    }
}

/// `server_id` when they work front of house at the branch; a 422 on `serverId` otherwise.
async fn serving(tx: &mut Tx, server_id: Uuid, branch_id: Uuid) -> Result<Uuid> {
    if identity::api::front_of_house_at(tx, server_id, branch_id).await? {
        Ok(server_id)
    } else {
        Err(Error::invalid(
            "serverId",
            "not an owner, manager, cashier or waiter of this branch",
        ))
    }
}

/// The open session `id`, locked, of a branch the caller works at.
async fn open_session(tx: &mut Tx, who: &Principal, id: Uuid) -> Result<SessionRow> {
    still_open(who, repo::session(tx, id, true).await?)
}

/// `s` when the caller works at its branch (403) and its party is still at the table (409).
fn still_open(who: &Principal, s: SessionRow) -> Result<SessionRow> {
    who.require_branch(s.branch_id)?;
    if s.closed_at.is_some() {
        return Err(Error::conflict(
            "session_closed",
            "this party has left the table already",
        ));
    }
    Ok(s)
}

/// `POST /api/table-sessions/{id}/transfer`: another member of staff serves the party.
pub async fn transfer(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    server_id: Uuid,
) -> Result<TableSession> {
    let mut tx = state.db.begin(who.scope()).await?;
    let s = open_session(&mut tx, who, id).await?;
    serving(&mut tx, server_id, s.branch_id).await?;
    repo::set_server(&mut tx, s.id, server_id).await?;
    let after = repo::session(&mut tx, s.id, false).await?;
    let extra = json!({ "serverId": server_id, "fromServerId": s.server_id });
    changed(&mut tx, who, &after, "table.transferred", extra).await?;
    answer(tx, after).await
}

/// `POST /api/table-sessions/{id}/move`: the party and its open orders go to a free table of
/// the branch.
pub async fn move_party(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    table_id: Uuid,
) -> Result<TableSession> {
    let mut tx = state.db.begin(who.scope()).await?;
    let s = open_session(&mut tx, who, id).await?;
    if table_id == s.table_id {
        return Err(Error::invalid(
            "tableId",
            "the party sits at this table already",
        ));
    }
    let target = match tables::repo::table(&mut tx, table_id, true).await {
        Ok(t) if t.branch_id == s.branch_id => t,
        Ok(_) | Err(Error::NotFound) => {
            return Err(Error::invalid("tableId", "not a table of this branch"));
        }
        Err(e) => return Err(e),
    };
    in_service(&target)?;
    let there = repo::floor_table(&mut tx, s.branch_id, target.id).await?;
    if there.session_id.is_some() || !there.orders.0.is_empty() {
        return Err(occupied(&target.label));
    }
    move_orders(&mut tx, who, &s, &target.label).await?;
    repo::set_table(&mut tx, s.id, target.id)
        .await
        .on_constraint("table_sessions_open_key", || occupied(&target.label))?;
    let after = repo::session(&mut tx, s.id, false).await?;
    let extra = json!({ "fromTableId": s.table_id, "fromLabel": s.label });
    changed(&mut tx, who, &after, "table.moved", extra).await?;
    answer(tx, after).await
}

/// The open orders of the party in `s` go to the table labelled `label`.
async fn move_orders(tx: &mut Tx, who: &Principal, s: &SessionRow, label: &str) -> Result<()> {
    let here: FloorRow = repo::floor_table(tx, s.branch_id, s.table_id).await?;
    for order in here.orders.0.iter().filter(|o| !o.status.is_final()) {
        move_in(tx, who, order.id, label).await?;
    }
    Ok(())
}

/// `POST /api/table-sessions/{id}/merge`: the party joins the party of another table (its
/// guests and open orders go there) and its own session ends. Answers the joined session.
pub async fn merge(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    into_id: Uuid,
) -> Result<TableSession> {
    if into_id == id {
        return Err(Error::invalid(
            "intoSessionId",
            "a party cannot join itself",
        ));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    // Two merges of the same two parties lock them in the same order, so they take turns; the
    // party in the path is answered for first (404, 403, 409), then the one it joins (422).
    let (s, into) = if id < into_id {
        let s = repo::session(&mut tx, id, true).await;
        (s, repo::session(&mut tx, into_id, true).await)
    } else {
        let into = repo::session(&mut tx, into_id, true).await;
        (repo::session(&mut tx, id, true).await, into)
    };
    let s = still_open(who, s?)?;
    let into = match into.and_then(|into| still_open(who, into)) {
        Err(Error::NotFound | Error::Conflict { .. }) => {
            return Err(Error::invalid(
                "intoSessionId",
                "not an open party of this branch",
            ));
        }
        other => other?,
    };
    if into.branch_id != s.branch_id {
        return Err(Error::invalid(
            "intoSessionId",
            "not a party of this branch",
        ));
    }
    if s.guests + into.guests > 100 {
        return Err(Error::conflict(
            "too_many_guests",
            "together the two parties would be more than 100 guests",
        ));
    }
    move_orders(&mut tx, who, &s, &into.label).await?;
    repo::join_party(&mut tx, into.id, s.guests, s.opened_at).await?;
    repo::close(&mut tx, s.id, Some(into.id)).await?;
    let extra = json!({ "intoSessionId": into.id, "intoTableId": into.table_id,
                        "intoLabel": into.label, "guests": s.guests });
    changed(&mut tx, who, &s, "table.merged", extra).await?;
    let joined = repo::session(&mut tx, into.id, false).await?;
    answer(tx, joined).await
}

/// `POST /api/table-sessions/{id}/check-printed`: the POS printed the party's check.
pub async fn check_printed(state: &AppState, who: &Principal, id: Uuid) -> Result<TableSession> {
    let mut tx = state.db.begin(who.scope()).await?;
    let s = open_session(&mut tx, who, id).await?;
    repo::set_check_printed(&mut tx, s.id).await?;
    let after = repo::session(&mut tx, s.id, false).await?;
    changed(&mut tx, who, &after, "table.check_printed", json!({})).await?;
    answer(tx, after).await
}

/// `POST /api/table-sessions/{id}/close`: the party leaves; refused while an order of theirs is
/// still open with something due.
pub async fn close(state: &AppState, who: &Principal, id: Uuid) -> Result<TableSession> {
    let mut tx = state.db.begin(who.scope()).await?;
    let s = open_session(&mut tx, who, id).await?;
    let here = repo::floor_table(&mut tx, s.branch_id, s.table_id).await?;
    if here.unpaid > 0 {
        let numbers: Vec<String> = here
            .orders
            .0
            .iter()
            .filter(|o| !o.status.is_final() && o.due > 0)
            .map(|o| format!("#{} ({} due)", o.number, o.due))
            .collect();
        return Err(Error::conflict(
            "table_has_open_orders",
            format!(
                "orders at table {} are not paid yet: {}",
                s.label,
                numbers.join(", ")
            ),
        ));
    }
    repo::close(&mut tx, s.id, None).await?;
    let after = repo::session(&mut tx, s.id, false).await?;
    changed(&mut tx, who, &after, "table.closed", json!({})).await?;
    answer(tx, after).await
}

/// The event and the audit entry of a session change, in its transaction. The event goes to
/// the branch's `orders` channel, addressed to no one: every POS of the branch redraws.
async fn changed(
    tx: &mut Tx,
    who: &Principal,
    s: &SessionRow,
    kind: &'static str,
    extra: Value,
) -> Result<()> {
    let mut payload = json!({ "tableId": s.table_id, "sessionId": s.id, "label": s.label });
    if let (Some(p), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    events::append(
        tx,
        NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(s.branch_id),
            channel: events::Channel::Orders,
            stream: &format!("table:{}", s.table_id),
            kind,
            audience: None,
            payload: payload.clone(),
        },
    )
    .await?;
    platform::audit::record(
        tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: kind,
            entity: "table_session",
            entity_id: Some(s.id),
            before: None,
            after: Some(payload),
        },
    )
    .await
}

/// The session as the endpoints answer it, with its server's name; commits `tx`.
async fn answer(mut tx: Tx, s: SessionRow) -> Result<TableSession> {
    let names = identity::api::display_names(&mut tx, &[s.server_id]).await?;
    tx.commit().await?;
    Ok(TableSession {
        id: s.id,
        branch_id: s.branch_id,
        table_id: s.table_id,
        label: s.label,
        guests: s.guests,
        server_name: names.get(&s.server_id).cloned(),
        server_id: s.server_id,
        device_id: s.device_id,
        opened_at: s.opened_at,
        check_printed_at: s.check_printed_at,
        closed_at: s.closed_at,
        merged_into: s.merged_into,
    })
}
