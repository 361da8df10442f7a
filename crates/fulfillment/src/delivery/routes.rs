//! HTTP routes of delivery zones and the quote. Handlers stay thin.

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

use super::{
    drivers,
    model::{
        Assign, DeliveryDto, DriverDto, HandOver, LatLng, Position, Quote, ShiftDto, StartShift,
        Tracking, ZoneDto, ZoneInput,
    },
    zones,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_zones, create_zone))
        .routes(routes!(update_zone))
        .routes(routes!(archive_zone))
        .routes(routes!(quote))
        .routes(routes!(start_shift))
        .routes(routes!(end_shift))
        .routes(routes!(my_deliveries))
        .routes(routes!(ping))
        .routes(routes!(drivers_on_shift))
        .routes(routes!(assign))
        .routes(routes!(accept))
        .routes(routes!(picked_up))
        .routes(routes!(delivered))
        .routes(routes!(track))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ZoneQuery {
    /// Include archived zones.
    #[serde(default)]
    pub archived: bool,
}

/// The branch's delivery zones (its staff).
#[utoipa::path(get, path = "/api/branches/{branchId}/delivery-zones", tag = "delivery",
    security(("bearer" = [])), params(("branchId" = Uuid, Path), ZoneQuery),
    responses((status = 200, body = [ZoneDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_zones(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ZoneQuery>,
) -> Result<Json<Vec<ZoneDto>>> {
    Ok(Json(
        zones::list(&state, &auth, branch_id, q.archived).await?,
    ))
}

/// Adds a delivery zone (managers): a GeoJSON Polygon `area` or a `radiusMetres` circle.
#[utoipa::path(post, path = "/api/branches/{branchId}/delivery-zones", tag = "delivery",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)), request_body = ZoneInput,
    responses((status = 201, body = ZoneDto), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_zone(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<ZoneInput>,
) -> Result<(StatusCode, Json<ZoneDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(zones::create(&state, &auth, branch_id, &req).await?),
    ))
}

/// Replaces a zone's shape, fee, minimum and ETA (managers). Orders already placed keep the
/// fee and ETA they were quoted.
#[utoipa::path(put, path = "/api/delivery-zones/{id}", tag = "delivery",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = ZoneInput,
    responses((status = 200, body = ZoneDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_zone(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<ZoneInput>,
) -> Result<Json<ZoneDto>> {
    Ok(Json(zones::update(&state, &auth, id, &req).await?))
}

/// Archives a zone (managers): it delivers nowhere from now on.
#[utoipa::path(post, path = "/api/delivery-zones/{id}/archive", tag = "delivery",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ZoneDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn archive_zone(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ZoneDto>> {
    Ok(Json(zones::archive(&state, &auth, id).await?))
}

/// What delivery to a point would cost (public): the zone, its fee, minimum order and ETA; 422
/// `outside_delivery_zone` when no zone covers the point, `branch_closed` when the branch is
/// closed now.
#[utoipa::path(post, path = "/api/branches/{branchId}/delivery-quote", tag = "delivery",
    params(("branchId" = Uuid, Path)), request_body = LatLng,
    responses((status = 200, body = Quote), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn quote(
    State(state): State<AppState>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(at): ValidJson<LatLng>,
) -> Result<Json<Quote>> {
    Ok(Json(zones::quote(&state, branch_id, at).await?))
}

// ---- drivers -------------------------------------------------------------------------------

/// Starts the signed-in driver's shift at a branch: from now on they can be assigned.
#[utoipa::path(post, path = "/api/driver/shift", tag = "delivery", security(("bearer" = [])),
    request_body = StartShift,
    responses((status = 201, body = ShiftDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn start_shift(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ValidJson(req): ValidJson<StartShift>,
) -> Result<(StatusCode, Json<ShiftDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(drivers::start_shift(&state, &auth, req.branch_id).await?),
    ))
}

/// Ends the signed-in driver's shift.
#[utoipa::path(post, path = "/api/driver/shift/end", tag = "delivery", security(("bearer" = [])),
    responses((status = 200, body = ShiftDto), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn end_shift(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<ShiftDto>> {
    Ok(Json(drivers::end_shift(&state, &auth).await?))
}

/// The signed-in driver's deliveries not yet handed over (theirs only).
#[utoipa::path(get, path = "/api/driver/deliveries", tag = "delivery", security(("bearer" = [])),
    responses((status = 200, body = [DeliveryDto]), (status = 403, body = Problem)))]
pub async fn my_deliveries(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<Vec<DeliveryDto>>> {
    Ok(Json(drivers::mine(&state, &auth).await?))
}

/// A location ping from the driver app (on shift only; rate limited; stored rounded to about
/// 11 m and kept two hours).
#[utoipa::path(post, path = "/api/driver/location", tag = "delivery", security(("bearer" = [])),
    request_body = LatLng,
    responses((status = 200, body = Position), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn ping(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ValidJson(at): ValidJson<LatLng>,
) -> Result<Json<Position>> {
    Ok(Json(drivers::ping(&state, &auth, at).await?))
}

/// The drivers on shift at the branch, with position and load (managers).
#[utoipa::path(get, path = "/api/branches/{branchId}/drivers", tag = "delivery",
    security(("bearer" = [])), params(("branchId" = Uuid, Path)),
    responses((status = 200, body = [DriverDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn drivers_on_shift(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<DriverDto>>> {
    Ok(Json(drivers::on_shift(&state, &auth, branch_id).await?))
}

/// Assigns the delivery to a driver on shift, or (no `driverId`) to the nearest available one
/// (managers).
#[utoipa::path(post, path = "/api/deliveries/{orderId}/assign", tag = "delivery",
    security(("bearer" = [])), params(("orderId" = Uuid, Path)), request_body = Assign,
    responses((status = 200, body = DeliveryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(order_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<Assign>,
) -> Result<Json<DeliveryDto>> {
    Ok(Json(
        drivers::assign(&state, &auth, order_id, req.driver_id).await?,
    ))
}

/// The driver accepts their assignment.
#[utoipa::path(post, path = "/api/deliveries/{orderId}/accept", tag = "delivery",
    security(("bearer" = [])), params(("orderId" = Uuid, Path)),
    responses((status = 200, body = DeliveryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(order_id): ApiPath<Uuid>,
) -> Result<Json<DeliveryDto>> {
    Ok(Json(drivers::accept(&state, &auth, order_id).await?))
}

/// The driver picked the order up (it must be ready): the order goes out for delivery.
#[utoipa::path(post, path = "/api/deliveries/{orderId}/picked-up", tag = "delivery",
    security(("bearer" = [])), params(("orderId" = Uuid, Path)),
    responses((status = 200, body = DeliveryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn picked_up(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(order_id): ApiPath<Uuid>,
) -> Result<Json<DeliveryDto>> {
    Ok(Json(drivers::picked_up(&state, &auth, order_id).await?))
}

/// Handed over at the door, against the code the customer reads out: the order is delivered.
/// A wrong code → 422 `wrong_handover_code`; after five, 409 `handover_locked`.
#[utoipa::path(post, path = "/api/deliveries/{orderId}/delivered", tag = "delivery",
    security(("bearer" = [])), params(("orderId" = Uuid, Path)), request_body = HandOver,
    responses((status = 200, body = DeliveryDto), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn delivered(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(order_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<HandOver>,
) -> Result<Json<DeliveryDto>> {
    Ok(Json(
        drivers::delivered(&state, &auth, order_id, &req.code).await?,
    ))
}

/// The delivery as the customer follows it (status, driver position while on the way, ETA and
/// the hand-over code), or as the branch's staff or its driver see it (no code).
#[utoipa::path(get, path = "/api/orders/{id}/delivery", tag = "delivery",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Tracking), (status = 404, body = Problem)))]
pub async fn track(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Tracking>> {
    Ok(Json(drivers::track(&state, &auth, id).await?))
}
