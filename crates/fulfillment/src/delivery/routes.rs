//! HTTP routes of delivery zones and the quote. Handlers stay thin.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Problem, Result},
    http::{ApiPath, ApiQuery, ValidJson},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    model::{LatLng, Quote, ZoneDto, ZoneInput},
    zones,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_zones, create_zone))
        .routes(routes!(update_zone))
        .routes(routes!(archive_zone))
        .routes(routes!(quote))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    auth: Auth<policy::Staff>,
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
    auth: Auth<policy::Managers>,
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
