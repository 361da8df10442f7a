//! The time clock: staff clock in and out at a branch, with breaks, so that reports can work
//! out labour cost. Every staff role may clock (kitchen staff and drivers are paid staff too),
//! on a POS with their PIN session (the device is kept on the entry; a device clocks in at its
//! own branch only) or with a password session that names a branch in its scope. A person has
//! one open entry at a time, whatever the branch, and an entry one open break at a time.
//! Clocking out ends an open break first.
//!
//! Owners and managers of a branch read its timesheet and correct its entries (a forgotten
//! clock-out, a break left running); a manager does not correct their own entries. Each
//! correction is in the audit log with the entry before and after and the reason, and the entry
//! keeps who corrected it last. Disabling a member closes their open entry at that moment.

pub mod model;
pub mod repo;
pub mod routes;

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, Utc};
use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Principal, Role},
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

use model::{
    ClockIn, ClockState, ClockStatus, Correction, MAX_ENTRY_HOURS, MAX_SHEET_DAYS, SheetQuery,
    StaffTime, TimeBreak, TimeEntry, TimeSheet,
};
use repo::EntryRow;

fn not_clocked_in() -> Error {
    Error::conflict("not_clocked_in", "you are not clocked in")
}

fn dto(row: EntryRow, breaks: Vec<TimeBreak>) -> TimeEntry {
    TimeEntry {
        id: row.id,
        branch_id: row.branch_id,
        user_id: row.user_id,
        display_name: row.display_name,
        clock_in: row.clock_in,
        clock_out: row.clock_out,
        device_id: row.device_id,
        clocked_in_by: row.clocked_in_by,
        clocked_out_by: row.clocked_out_by,
        note: row.note,
        breaks,
        worked_seconds: row.worked_seconds,
        break_seconds: row.break_seconds,
        edited_by: row.edited_by,
        edited_at: row.edited_at,
    }
}

/// The entries as answered, each with its breaks.
async fn with_breaks(tx: &mut Tx, rows: Vec<EntryRow>) -> Result<Vec<TimeEntry>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut breaks: HashMap<Uuid, Vec<TimeBreak>> = HashMap::new();
    for (entry, b) in repo::breaks(tx, &ids).await? {
        breaks.entry(entry).or_default().push(b);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let b = breaks.remove(&r.id).unwrap_or_default();
            dto(r, b)
        })
        .collect())
}

async fn load(tx: &mut Tx, id: Uuid) -> Result<TimeEntry> {
    let row = repo::entry(tx, id).await?;
    let mut all = with_breaks(tx, vec![row]).await?;
    Ok(all.remove(0))
}

/// Where the caller stands: off the clock, on it, or on a break.
pub async fn state(state: &AppState, who: &Principal) -> Result<ClockState> {
    let mut tx = state.db.begin(who.scope()).await?;
    let open = match repo::open_entry(&mut tx, who.id, false).await? {
        Some(id) => Some(load(&mut tx, id).await?),
        None => None,
    };
    tx.commit().await?;
    Ok(match open {
        None => ClockState {
            status: ClockStatus::Off,
            entry: None,
            worked_seconds: 0,
            break_seconds: 0,
        },
        Some(entry) => ClockState {
            status: if entry.breaks.iter().any(|b| b.ended_at.is_none()) {
                ClockStatus::OnBreak
            } else {
                ClockStatus::On
            },
            worked_seconds: entry.worked_seconds,
            break_seconds: entry.break_seconds,
            entry: Some(entry),
        },
    })
}

pub async fn clock_in(state: &AppState, who: &Principal, req: &ClockIn) -> Result<TimeEntry> {
    let branch_id = req
        .branch_id
        .or(who.branch_id)
        .ok_or_else(|| Error::invalid("branchId", "this session has no branch: name the branch"))?;
    // A till stands at its branch: its session clocks in there, an owner's PIN session too.
    if who.device_id.is_some() && who.branch_id != Some(branch_id) {
        return Err(Error::Forbidden);
    }
    state.branches.require(&state.db, who, branch_id).await?;
    let mut tx = state.db.begin(who.scope()).await?;
    match repo::branch_in_use(&mut tx, branch_id).await? {
        None => return Err(Error::NotFound),
        Some(false) => {
            return Err(Error::conflict(
                "branch_archived",
                "this branch is archived; nobody clocks in there",
            ));
        }
        Some(true) => {}
    }
    let id = repo::clock_in(
        &mut tx,
        &repo::NewEntry {
            tenant_id: who.tenant_id,
            branch_id,
            user_id: who.id,
            device_id: who.device_id,
            clocked_in_by: who.id,
            note: req.note.as_deref(),
        },
    )
    .await?
    .ok_or_else(|| {
        Error::conflict(
            "already_clocked_in",
            "you are clocked in already; clock out first",
        )
    })?;
    let entry = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(entry)
}

pub async fn clock_out(state: &AppState, who: &Principal) -> Result<TimeEntry> {
    let mut tx = state.db.begin(who.scope()).await?;
    let id = repo::open_entry(&mut tx, who.id, true)
        .await?
        .ok_or_else(not_clocked_in)?;
    repo::clock_out(&mut tx, id, who.id).await?;
    let entry = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(entry)
}

pub async fn start_break(state: &AppState, who: &Principal, paid: bool) -> Result<TimeEntry> {
    let mut tx = state.db.begin(who.scope()).await?;
    let id = repo::open_entry(&mut tx, who.id, true)
        .await?
        .ok_or_else(not_clocked_in)?;
    repo::start_break(&mut tx, id, paid)
        .await?
        .ok_or_else(|| Error::conflict("already_on_break", "you are on a break already"))?;
    let entry = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(entry)
}

pub async fn end_break(state: &AppState, who: &Principal) -> Result<TimeEntry> {
    let mut tx = state.db.begin(who.scope()).await?;
    let id = repo::open_entry(&mut tx, who.id, true)
        .await?
        .ok_or_else(not_clocked_in)?;
    if !repo::end_break(&mut tx, id).await? {
        return Err(Error::conflict("not_on_break", "you are not on a break"));
    }
    let entry = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(entry)
}

/// A branch's timesheet; the caller's branch scope was checked by the route.
pub async fn sheet(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    q: &SheetQuery,
) -> Result<TimeSheet> {
    let mut tx = state.db.begin(who.scope()).await?;
    let (time_zone, today) = repo::branch_day(&mut tx, branch_id)
        .await?
        .ok_or(Error::NotFound)?;
    let from = q.from.unwrap_or(today);
    let to = q.to.unwrap_or(from);
    if to < from {
        return Err(Error::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_SHEET_DAYS {
        return Err(Error::invalid(
            "to",
            format!("a timesheet covers at most {MAX_SHEET_DAYS} days"),
        ));
    }
    let rows = repo::sheet(&mut tx, branch_id, &time_zone, (from, to), q.user_id).await?;
    let entries = with_breaks(&mut tx, rows).await?;
    tx.commit().await?;
    let mut totals: BTreeMap<Uuid, StaffTime> = BTreeMap::new();
    for e in &entries {
        let t = totals.entry(e.user_id).or_insert_with(|| StaffTime {
            user_id: e.user_id,
            display_name: e.display_name.clone(),
            entries: 0,
            worked_seconds: 0,
            break_seconds: 0,
        });
        t.entries += 1;
        t.worked_seconds += e.worked_seconds;
        t.break_seconds += e.break_seconds;
    }
    let mut summary: Vec<StaffTime> = totals.into_values().collect();
    summary.sort_by(|a, b| (&a.display_name, a.user_id).cmp(&(&b.display_name, b.user_id)));
    Ok(TimeSheet {
        branch_id,
        time_zone,
        from,
        to,
        entries,
        summary,
    })
}

/// What is wrong with a correction's times, by field; empty when nothing is.
fn check_times(req: &Correction) -> BTreeMap<String, Vec<String>> {
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |field: String, message: &str| {
        wrong.entry(field).or_default().push(message.to_string());
    };
    if req.clock_out <= req.clock_in {
        add("clockOut".into(), "must be after clockIn");
    } else if req.clock_out - req.clock_in > Duration::hours(MAX_ENTRY_HOURS) {
        add(
            "clockOut".into(),
            "an entry spans at most 24 hours; split a longer one",
        );
    }
    if req.reason.trim().is_empty() {
        add("reason".into(), "must not be blank");
    }
    if req.clock_out > Utc::now() {
        add("clockOut".into(), "must not be in the future");
    }
    let breaks = req.breaks.as_deref().unwrap_or_default();
    let mut order: Vec<usize> = (0..breaks.len()).collect();
    order.sort_by_key(|&i| breaks[i].started_at);
    let mut previous_end = None;
    for i in order {
        let b = &breaks[i];
        if b.ended_at <= b.started_at {
            add(format!("breaks[{i}].endedAt"), "must be after startedAt");
        }
        if b.started_at < req.clock_in || b.ended_at > req.clock_out {
            add(
                format!("breaks[{i}]"),
                "must lie between clockIn and clockOut",
            );
        }
        if previous_end.is_some_and(|end| b.started_at < end) {
            add(format!("breaks[{i}]"), "overlaps another break");
        }
        previous_end = previous_end.max(Some(b.ended_at));
    }
    wrong
}

/// A manager's correction of an entry's times (and breaks), audited with its reason.
pub async fn correct(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    req: &Correction,
) -> Result<TimeEntry> {
    let wrong = check_times(req);
    if !wrong.is_empty() {
        return Err(Error::Validation { fields: wrong });
    }
    let mut tx = state.db.begin(who.scope()).await?;
    repo::lock(&mut tx, id).await?;
    let before = load(&mut tx, id).await?;
    who.require_branch(before.branch_id)?;
    if who.role == Role::Manager && before.user_id == who.id {
        return Err(Error::denied(
            "own_entry",
            "a manager's own entries are corrected by the owner or another manager",
        ));
    }
    repo::correct(
        &mut tx,
        id,
        (req.clock_in, req.clock_out),
        req.breaks.as_deref(),
        who.id,
    )
    .await?;
    let after = load(&mut tx, id).await?;
    let snapshot = |e: &TimeEntry| {
        serde_json::json!({ "userId": e.user_id, "branchId": e.branch_id, "clockIn": e.clock_in,
                            "clockOut": e.clock_out, "breaks": e.breaks,
                            "workedSeconds": e.worked_seconds })
    };
    let mut after_snapshot = snapshot(&after);
    after_snapshot["reason"] = req.reason.clone().into();
    audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        Entry {
            action: "time_entry.corrected",
            entity: "time_entry",
            entity_id: Some(id),
            before: Some(snapshot(&before)),
            after: Some(after_snapshot),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
