//! HTTP routes of the cash drawers and the end-of-day report.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ApiQuery, ValidJson},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{CloseDrawer, DrawerReport, Movement, OpenDrawer, ZReport};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_drawer))
        .routes(routes!(current_drawer))
        .routes(routes!(drawer_report))
        .routes(routes!(drawer_movement))
        .routes(routes!(close_drawer))
        .routes(routes!(z_report))
        .routes(routes!(brand_z_report))
        .routes(routes!(server_report))
}

/// Opens the drawer of the POS device the caller signed in on (by PIN), with a float.
#[utoipa::path(post, path = "/api/drawers", tag = "drawers", security(("bearer" = [])),
    request_body = OpenDrawer,
    responses((status = 201, body = DrawerReport), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open_drawer(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ValidJson(req): ValidJson<OpenDrawer>,
) -> Result<(StatusCode, Json<DrawerReport>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::open(&state, &auth, &req).await?),
    ))
}

/// The X report of the drawer open on the caller's till (signed in by PIN on it); `404` when
/// none is open there.
#[utoipa::path(get, path = "/api/drawers/current", tag = "drawers", security(("bearer" = [])),
    responses((status = 200, body = DrawerReport), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn current_drawer(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(super::current(&state, &auth).await?))
}

/// The drawer's X report: float, cash sales and refunds, cash in and out, what it should hold.
#[utoipa::path(get, path = "/api/drawers/{id}", tag = "drawers", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DrawerReport), (status = 404, body = Problem)))]
pub async fn drawer_report(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(super::report(&state, &auth, id).await?))
}

/// Cash put into or taken out of an open drawer, with a reason.
#[utoipa::path(post, path = "/api/drawers/{id}/movements", tag = "drawers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = Movement,
    responses((status = 200, body = DrawerReport), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn drawer_movement(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<Movement>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(super::movement(&state, &auth, id, &req).await?))
}

/// Closes a drawer with the counted cash; the difference to what it should hold is posted as
/// over/short.
#[utoipa::path(post, path = "/api/drawers/{id}/close", tag = "drawers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CloseDrawer,
    responses((status = 200, body = DrawerReport), (status = 409, body = Problem)))]
pub async fn close_drawer(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<CloseDrawer>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(super::close(&state, &auth, id, &req).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The branch's business day (YYYY-MM-DD).
    date: chrono::NaiveDate,
}

/// The branch's end-of-day (Z) report (managers).
#[utoipa::path(get, path = "/api/branches/{branch_id}/reports/z", tag = "drawers", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), DayQuery),
    responses((status = 200, body = ZReport), (status = 403, body = Problem)))]
pub async fn z_report(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<ZReport>> {
    Ok(Json(
        super::z_report(&state, &auth, branch_id, q.date).await?,
    ))
}

/// The brand's end-of-day report, per currency: every branch's Z figures of the day summed
/// with the other branches that sell in the same currency (the owner, or a manager of every
/// branch).
#[utoipa::path(get, path = "/api/reports/z", tag = "drawers", security(("bearer" = [])),
    params(DayQuery),
    responses((status = 200, body = super::brand::BrandZReport), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn brand_z_report(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<super::brand::BrandZReport>> {
    Ok(Json(super::brand::brand_z(&state, &auth, q.date).await?))
}

/// The branch's shift summary per server for a business day: orders, sales and tips each member of
/// staff placed, and the cash and card they took. Owners and managers see everyone; other staff
/// their own row.
#[utoipa::path(get, path = "/api/branches/{branch_id}/reports/servers", tag = "drawers", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), DayQuery),
    responses((status = 200, body = super::servers::ServerReport), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn server_report(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<super::servers::ServerReport>> {
    Ok(Json(
        super::servers::server_report(&state, &auth, branch_id, q.date).await?,
    ))
}
