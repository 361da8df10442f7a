//! HTTP routes of the queue. Handlers stay thin.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    Action, act,
    model::{EntryDto, Joined, NewParty, NewPickup},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(waiting, add_party))
        .routes(routes!(add_pickup))
        .routes(routes!(entry))
        .routes(routes!(order_entry))
        .routes(routes!(seat))
        .routes(routes!(done))
        .routes(routes!(remove))
        .routes(routes!(no_show))
}

/// The branch's waiting entries with position and estimated wait (hosts).
#[utoipa::path(get, path = "/api/branches/{branchId}/queue", tag = "queue",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)),
    responses((status = 200, body = [EntryDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn waiting(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<EntryDto>>> {
    Ok(Json(super::list(&state, &auth, branch_id).await?))
}

/// A walk-in party joins the waitlist: added by a host (the answer carries a guest session for
/// the party to follow its place with), or by a guest or customer for themselves.
#[utoipa::path(post, path = "/api/branches/{branchId}/queue", tag = "queue",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)), request_body = NewParty,
    responses((status = 201, body = Joined), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_party(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Authenticated>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<NewParty>,
) -> Result<(StatusCode, Json<Joined>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::add_party(&state, &auth, branch_id, &req).await?),
    ))
}

/// A pickup or takeaway order joins the pickup line (hosts).
#[utoipa::path(post, path = "/api/branches/{branchId}/queue/pickup", tag = "queue",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)), request_body = NewPickup,
    responses((status = 201, body = EntryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_pickup(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<NewPickup>,
) -> Result<(StatusCode, Json<EntryDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::add_pickup(&state, &auth, branch_id, &req).await?),
    ))
}

/// One entry: its guest or the branch's hosts.
#[utoipa::path(get, path = "/api/queue/{id}", tag = "queue", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = EntryDto), (status = 404, body = Problem)))]
pub async fn entry(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EntryDto>> {
    Ok(Json(super::get(&state, &auth, id).await?))
}

/// A pickup order's place in the pickup line: the guest who placed it, or the branch's hosts.
/// 404 while the order is not in the line.
#[utoipa::path(get, path = "/api/orders/{id}/queue", tag = "queue", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = EntryDto), (status = 404, body = Problem)))]
pub async fn order_entry(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EntryDto>> {
    Ok(Json(super::of_order(&state, &auth, id).await?))
}

/// The party sat down (hosts).
#[utoipa::path(post, path = "/api/queue/{id}/seat", tag = "queue", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = EntryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn seat(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EntryDto>> {
    Ok(Json(act(&state, &auth, id, Action::Seat).await?))
}

/// The pickup order was handed over (hosts).
#[utoipa::path(post, path = "/api/queue/{id}/done", tag = "queue", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = EntryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn done(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EntryDto>> {
    Ok(Json(act(&state, &auth, id, Action::Done).await?))
}

/// The entry leaves the line (the party left, the order was cancelled) (hosts).
#[utoipa::path(post, path = "/api/queue/{id}/remove", tag = "queue", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = EntryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EntryDto>> {
    Ok(Json(act(&state, &auth, id, Action::Remove).await?))
}

/// The party (or customer) did not come when called (hosts).
#[utoipa::path(post, path = "/api/queue/{id}/no-show", tag = "queue", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = EntryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn no_show(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EntryDto>> {
    Ok(Json(act(&state, &auth, id, Action::NoShow).await?))
}
