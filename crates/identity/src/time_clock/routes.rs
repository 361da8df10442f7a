//! HTTP routes of the time clock. Handlers stay thin.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ApiQuery, OptionalJson, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{ClockIn, ClockState, Correction, SheetQuery, StartBreak, TimeEntry, TimeSheet};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(clock_state))
        .routes(routes!(clock_in))
        .routes(routes!(clock_out))
        .routes(routes!(start_break))
        .routes(routes!(end_break))
        .routes(routes!(sheet))
        .routes(routes!(correct))
}

/// Where the signed-in staff member stands: `off`, `on` the clock or `on_break`, with the open
/// entry and its seconds so far.
#[utoipa::path(get, path = "/api/time-clock", tag = "time-clock", security(("bearer" = [])),
    responses((status = 200, body = ClockState)))]
pub async fn clock_state(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<ClockState>> {
    Ok(Json(super::state(&state, &auth).await?))
}

/// Clock in at a branch (any staff role): the body's `branchId`, or the session's branch. A PIN
/// session clocks in at its device's branch only (403 for another). 409 `already_clocked_in`
/// while an entry is open anywhere; 409 `branch_archived`.
#[utoipa::path(post, path = "/api/time-clock/in", tag = "time-clock", security(("bearer" = [])),
    request_body = Option<ClockIn>,
    responses((status = 201, body = TimeEntry), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn clock_in(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    OptionalJson(req): OptionalJson<ClockIn>,
) -> Result<(StatusCode, Json<TimeEntry>)> {
    let req = req.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(super::clock_in(&state, &auth, &req).await?),
    ))
}

/// Clock out, ending an open break first. 409 `not_clocked_in`.
#[utoipa::path(post, path = "/api/time-clock/out", tag = "time-clock", security(("bearer" = [])),
    responses((status = 200, body = TimeEntry), (status = 409, body = Problem)))]
pub async fn clock_out(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<TimeEntry>> {
    Ok(Json(super::clock_out(&state, &auth).await?))
}

/// Start a break (unpaid unless `paid`). 409 `not_clocked_in`, `already_on_break`.
#[utoipa::path(post, path = "/api/time-clock/break/start", tag = "time-clock",
    security(("bearer" = [])), request_body = Option<StartBreak>,
    responses((status = 201, body = TimeEntry), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn start_break(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    OptionalJson(req): OptionalJson<StartBreak>,
) -> Result<(StatusCode, Json<TimeEntry>)> {
    let paid = req.unwrap_or_default().paid;
    Ok((
        StatusCode::CREATED,
        Json(super::start_break(&state, &auth, paid).await?),
    ))
}

/// End the break. 409 `not_clocked_in`, `not_on_break`.
#[utoipa::path(post, path = "/api/time-clock/break/end", tag = "time-clock",
    security(("bearer" = [])),
    responses((status = 200, body = TimeEntry), (status = 409, body = Problem)))]
pub async fn end_break(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<TimeEntry>> {
    Ok(Json(super::end_break(&state, &auth).await?))
}

/// The branch's timesheet (owners, managers of the branch): the entries begun on the days
/// `from`–`to` in the branch's time zone (default today), and each person's totals. 422 on
/// `to` before `from` or more than 93 days.
#[utoipa::path(get, path = "/api/branches/{branch_id}/time-entries", tag = "time-clock",
    security(("bearer" = [])), params(("branch_id" = Uuid, Path), SheetQuery),
    responses((status = 200, body = TimeSheet), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn sheet(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> Result<Json<TimeSheet>> {
    Ok(Json(super::sheet(&state, &auth, branch_id, &q).await?))
}

/// Correct an entry (owners, managers of its branch; not a manager's own, 403 `own_entry`):
/// its clock-in and clock-out, closing it when open, and optionally its breaks. Audited
/// `time_entry.corrected` with the reason. 409 `overlapping_entry` when it would overlap
/// another entry of the person.
#[utoipa::path(put, path = "/api/time-entries/{id}", tag = "time-clock", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = Correction,
    responses((status = 200, body = TimeEntry), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn correct(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<Correction>,
) -> Result<Json<TimeEntry>> {
    Ok(Json(super::correct(&state, &auth, id, &req).await?))
}
