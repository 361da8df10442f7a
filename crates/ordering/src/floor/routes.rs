//! HTTP routes of the floor: the plan and state of a branch's tables, the layout editor's bulk
//! placement, and the party at a table from seating to leaving. Handlers stay thin.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{
    FloorPlanInput, FloorTable, MergeParty, MoveParty, SeatParty, TableSession, TransferParty,
};
use crate::{policy::FrontOfHouse, tables::repo::DiningTable};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(floor))
        .routes(routes!(lay_out))
        .routes(routes!(seat))
        .routes(routes!(transfer))
        .routes(routes!(move_party))
        .routes(routes!(merge))
        .routes(routes!(check_printed))
        .routes(routes!(close))
}

/// The branch's floor for the POS: every table in service with its place on the plan and its
/// state — `free`, `seated`, `ordered`, `food_ready`, `check_printed` or `paid` — the party at
/// it and its orders (owner, manager, cashier, waiter of the branch).
#[utoipa::path(get, path = "/api/branches/{branch_id}/floor", tag = "floor", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = Vec<FloorTable>),
              (status = 403, body = Problem, description = "kitchen staff, drivers, or a branch outside the caller's scope"),
              (status = 404, body = Problem, description = "not a branch of the caller's brand")))]
pub async fn floor(
    State(state): State<AppState>,
    auth: BranchAuth<FrontOfHouse>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<FloorTable>>> {
    Ok(Json(super::floor(&state, &auth, branch_id).await?))
}

/// Places tables on the branch's floor plan (owner and managers): the layout editor's save.
/// All are placed in one transaction or none is; tables left out stay as they are. Answers the
/// branch's tables.
#[utoipa::path(put, path = "/api/branches/{branch_id}/floor-plan", tag = "floor", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = FloorPlanInput,
    responses((status = 200, body = Vec<DiningTable>),
              (status = 403, body = Problem), (status = 404, body = Problem, description = "not a branch of the caller's brand"),
              (status = 422, body = Problem, description = "invalid, a table off the plan (`x + width` or `y + height` over 1000), named twice, or not a table of this branch (`tables[i].id`); nothing is placed")))]
pub async fn lay_out(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<FloorPlanInput>,
) -> Result<Json<Vec<DiningTable>>> {
    Ok(Json(super::lay_out(&state, &auth, branch_id, &req).await?))
}

/// Seats a party at a table: a table session opens, served by `serverId` or the caller, on the
/// caller's POS when they signed in on one.
#[utoipa::path(post, path = "/api/dining-tables/{id}/seat", tag = "floor", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = SeatParty,
    responses((status = 201, body = TableSession),
              (status = 403, body = Problem, description = "kitchen staff, drivers, or a table outside the caller's branch"),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`table_occupied`: a party is seated there; `table_out_of_service`"),
              (status = 422, body = Problem, description = "invalid, or `serverId` not front of house at the branch")))]
pub async fn seat(
    State(state): State<AppState>,
    auth: Auth<FrontOfHouse>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<SeatParty>,
) -> Result<(StatusCode, Json<TableSession>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::seat(&state, &auth, id, req.guests, req.server_id).await?),
    ))
}

/// Another member of staff serves the party.
#[utoipa::path(post, path = "/api/table-sessions/{id}/transfer", tag = "floor", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = TransferParty,
    responses((status = 200, body = TableSession), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`session_closed`: the party has left"),
              (status = 422, body = Problem, description = "invalid, or `serverId` not front of house at the branch")))]
pub async fn transfer(
    State(state): State<AppState>,
    auth: Auth<FrontOfHouse>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<TransferParty>,
) -> Result<Json<TableSession>> {
    Ok(Json(
        super::transfer(&state, &auth, id, req.server_id).await?,
    ))
}

/// Moves the party to a free table of the branch, with its open dine-in orders (each gets the
/// new table's label and an `order.moved` event).
#[utoipa::path(post, path = "/api/table-sessions/{id}/move", tag = "floor", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MoveParty,
    responses((status = 200, body = TableSession), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`table_occupied`: a party or orders at the table; `table_out_of_service`; `session_closed`"),
              (status = 422, body = Problem, description = "invalid, or `tableId` not another table of the branch")))]
pub async fn move_party(
    State(state): State<AppState>,
    auth: Auth<FrontOfHouse>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<MoveParty>,
) -> Result<Json<TableSession>> {
    Ok(Json(
        super::move_party(&state, &auth, id, req.table_id).await?,
    ))
}

/// The party joins another table's party: its guests are added there, its open dine-in orders
/// move to that table, and its own session closes. Answers the joined session (its printed
/// check, if any, is out of date and cleared).
#[utoipa::path(post, path = "/api/table-sessions/{id}/merge", tag = "floor", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MergeParty,
    responses((status = 200, body = TableSession), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`session_closed`; `too_many_guests`: more than 100 together"),
              (status = 422, body = Problem, description = "invalid, or `intoSessionId` not another open party of the branch")))]
pub async fn merge(
    State(state): State<AppState>,
    auth: Auth<FrontOfHouse>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<MergeParty>,
) -> Result<Json<TableSession>> {
    Ok(Json(
        super::merge(&state, &auth, id, req.into_session_id).await?,
    ))
}

/// The POS printed the party's check: the table shows `check_printed` until it is paid or
/// another order is placed.
#[utoipa::path(post, path = "/api/table-sessions/{id}/check-printed", tag = "floor", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TableSession), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`session_closed`: the party has left")))]
pub async fn check_printed(
    State(state): State<AppState>,
    auth: Auth<FrontOfHouse>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TableSession>> {
    Ok(Json(super::check_printed(&state, &auth, id).await?))
}

/// The party leaves: the session closes and the table is free again. Refused while an order of
/// theirs is open with something due.
#[utoipa::path(post, path = "/api/table-sessions/{id}/close", tag = "floor", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TableSession), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`table_has_open_orders`: an open order at the table is not paid; `session_closed`")))]
pub async fn close(
    State(state): State<AppState>,
    auth: Auth<FrontOfHouse>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TableSession>> {
    Ok(Json(super::close(&state, &auth, id).await?))
}
