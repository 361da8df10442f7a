//! HTTP routes of the kitchen. Handlers stay thin: parse, call the KDS service, answer.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use identity::approval::ManagerPin;
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

use crate::{
    estimate, kds,
    model::{
        AllDayDto, CategoryRoute, Fired, KitchenSettings, NewStation, Rush, StationDto, TicketDto,
    },
    print, recall, setup,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tickets))
        .routes(routes!(all_day))
        .routes(routes!(bumped))
        .routes(routes!(stations, add_station))
        .routes(routes!(route_category))
        .routes(routes!(settings, set_settings))
        .routes(routes!(ticket))
        .routes(routes!(start))
        .routes(routes!(bump))
        .routes(routes!(recall))
        .routes(routes!(rush))
        .routes(routes!(item_done))
        .routes(routes!(print_ticket))
        .routes(routes!(fire))
        .routes(routes!(order_tickets))
        .routes(routes!(order_estimate))
        .merge(crate::delivery::routes::router())
        .merge(crate::queue::routes::router())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StationQuery {
    /// A station code (e.g. `grill`); all stations when absent.
    #[param(min_length = 1, max_length = 30, pattern = "^[a-z0-9_-]+$")]
    pub station: Option<String>,
}

impl StationQuery {
    /// The station asked for, if it is written as station codes are (the parameter's
    /// pattern); anything else is a 422 naming it.
    fn station(&self) -> Result<Option<&str>, platform::Error> {
        match self.station.as_deref() {
            Some(s)
                if s.is_empty()
                    || s.chars().count() > 30
                    || !s
                        .bytes()
                        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')) =>
            {
                Err(platform::Error::invalid(
                    "station",
                    "must be a station code: 1 to 30 of a-z, 0-9, _ and -",
                ))
            }
            other => Ok(other),
        }
    }
}

/// The branch's open kitchen tickets (held ones included, marked held), rush first, then
/// oldest first, each with its age against its prep-time target.
#[utoipa::path(get, path = "/api/branches/{branchId}/kitchen/tickets", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path), StationQuery),
    responses((status = 200, body = [TicketDto]), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn tickets(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StationQuery>,
) -> Result<Json<Vec<TicketDto>>> {
    Ok(Json(
        kds::list(&state, &auth, branch_id, q.station()?).await?,
    ))
}

/// "All day": how many of each item are still to make across the open tickets.
#[utoipa::path(get, path = "/api/branches/{branchId}/kitchen/all-day", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path), StationQuery),
    responses((status = 200, body = [AllDayDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn all_day(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StationQuery>,
) -> Result<Json<Vec<AllDayDto>>> {
    Ok(Json(
        kds::all_day(&state, &auth, branch_id, q.station()?).await?,
    ))
}

/// The tickets the branch bumped in the last two hours (at most 30) whose order can still be
/// recalled, newest bump first: what the kitchen screen offers to recall. A recall after the
/// window needs a manager (see the recall).
#[utoipa::path(get, path = "/api/branches/{branchId}/kitchen/bumped", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path), StationQuery),
    responses((status = 200, body = [TicketDto]), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn bumped(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StationQuery>,
) -> Result<Json<Vec<TicketDto>>> {
    Ok(Json(
        recall::bumped(&state, &auth, branch_id, q.station.as_deref()).await?,
    ))
}

/// The branch's stations.
#[utoipa::path(get, path = "/api/branches/{branchId}/kitchen/stations", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)),
    responses((status = 200, body = [StationDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn stations(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<StationDto>>> {
    Ok(Json(setup::stations(&state, &auth, branch_id).await?))
}

/// Adds a station (managers).
#[utoipa::path(post, path = "/api/branches/{branchId}/kitchen/stations", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)), request_body = NewStation,
    responses((status = 201, body = StationDto), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_station(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<NewStation>,
) -> Result<(StatusCode, Json<StationDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(setup::add_station(&state, &auth, branch_id, &req).await?),
    ))
}

/// Routes a category to a prep station at the branch (managers). An item's own station hint,
/// when the branch has that station, still wins.
#[utoipa::path(put, path = "/api/branches/{branchId}/kitchen/routes", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)), request_body = CategoryRoute,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn route_category(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<CategoryRoute>,
) -> Result<StatusCode> {
    setup::route_category(&state, &auth, branch_id, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The branch's kitchen settings.
#[utoipa::path(get, path = "/api/branches/{branchId}/kitchen/settings", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)),
    responses((status = 200, body = KitchenSettings), (status = 403, body = Problem)))]
pub async fn settings(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<KitchenSettings>> {
    Ok(Json(setup::settings(&state, &auth, branch_id).await?))
}

/// Sets the branch's recall window (managers).
#[utoipa::path(put, path = "/api/branches/{branchId}/kitchen/settings", tag = "kitchen",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)), request_body = KitchenSettings,
    responses((status = 200, body = KitchenSettings), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_settings(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<KitchenSettings>,
) -> Result<Json<KitchenSettings>> {
    Ok(Json(
        setup::set_settings(&state, &auth, branch_id, &req).await?,
    ))
}

/// One ticket.
#[utoipa::path(get, path = "/api/kitchen/tickets/{id}", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn ticket(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TicketDto>> {
    Ok(Json(kds::get(&state, &auth, id).await?))
}

/// Starts a ticket (new → started); the order becomes `preparing`.
#[utoipa::path(post, path = "/api/kitchen/tickets/{id}/start", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketDto), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TicketDto>> {
    Ok(Json(kds::start(&state, &auth, id).await?))
}

/// Bumps a ticket: its fired items are done. The last bump of an order makes it `ready` and
/// notifies whoever placed it.
#[utoipa::path(post, path = "/api/kitchen/tickets/{id}/bump", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketDto), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn bump(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TicketDto>> {
    Ok(Json(kds::bump(&state, &auth, id).await?))
}

/// Recalls (undoes) a bump. Within the branch's recall window the kitchen recalls alone; after
/// it a manager must approve: one signed in, or a manager's PIN in `X-Manager-Pin` for this
/// request only (a kitchen screen's session keeps its kitchen rights). Without it → 403
/// `manager_pin_required`; a wrong or non-manager's PIN → 403, counted, five of them → 429.
#[utoipa::path(post, path = "/api/kitchen/tickets/{id}/recall", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path),
           ("X-Manager-Pin" = Option<String>, Header, pattern = "^[0-9]{4,8}$",
            description = "A manager's PIN approving a recall after the recall window")),
    responses((status = 200, body = TicketDto), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn recall(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    pin: ManagerPin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TicketDto>> {
    Ok(Json(recall::recall(&state, &auth, id, &pin).await?))
}

/// Marks a ticket rush (first in its station's queue) or back to normal.
#[utoipa::path(post, path = "/api/kitchen/tickets/{id}/rush", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = Rush,
    responses((status = 200, body = TicketDto), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn rush(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<Rush>,
) -> Result<Json<TicketDto>> {
    Ok(Json(kds::rush(&state, &auth, id, req.rush).await?))
}

/// Marks one fired item of a ticket done.
#[utoipa::path(post, path = "/api/kitchen/tickets/{id}/items/{itemId}/done", tag = "kitchen",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("itemId" = Uuid, Path)),
    responses((status = 200, body = TicketDto), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn item_done(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath((id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<TicketDto>> {
    Ok(Json(kds::item_done(&state, &auth, id, item_id).await?))
}

/// The ticket as a printable HTML page (English and Arabic).
#[utoipa::path(get, path = "/api/kitchen/tickets/{id}/print", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/html", body = String), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn print_ticket(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response> {
    let t = kds::get(&state, &auth, id).await?;
    let branch = kds::ticket_branch(&state, &auth, id).await?;
    let (name, name_ar) = setup::branch_names(&state, &auth, branch).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        print::html(&t, &name, name_ar.as_deref()),
    )
        .into_response())
}

/// Fires the next held course of a dine-in order (the waiter's "fire").
#[utoipa::path(post, path = "/api/orders/{id}/fire", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Fired), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn fire(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Fired>> {
    Ok(Json(kds::fire(&state, &auth, id).await?))
}

/// When the order should be ready: from its kitchen tickets' prep-time targets once the kitchen
/// has it, else from the branch's recent orders. The guest or customer who placed it, or its
/// branch's staff.
#[utoipa::path(get, path = "/api/orders/{id}/estimate", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = estimate::Estimate), (status = 404, body = Problem)))]
pub async fn order_estimate(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<estimate::Estimate>> {
    Ok(Json(estimate::of_order(&state, &auth, id).await?))
}

/// The order's station tickets (expo, the waiter).
#[utoipa::path(get, path = "/api/orders/{id}/kitchen-tickets", tag = "kitchen", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = [TicketDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn order_tickets(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<TicketDto>>> {
    Ok(Json(kds::order_tickets(&state, &auth, id).await?))
}
