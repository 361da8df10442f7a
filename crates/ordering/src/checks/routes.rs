//! HTTP routes of splitting and merging checks.

use std::sync::Arc;

use axum::{Extension, Json, extract::State};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{CheckView, ChecksAnswer, MergeRequest, SplitRequest};
use crate::orders::tenders::Tenders;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(split_check))
        .routes(routes!(merge_checks))
        .routes(routes!(check_view))
}

/// Splits an unpaid dine-in check: by items (the named lines to a new check, the rest to
/// another), by seat (a check per seat), or equally (`parts` payment shares of this check).
#[utoipa::path(post, path = "/api/orders/{id}/split", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = SplitRequest,
    responses((status = 200, body = ChecksAnswer), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn split_check(
    State(state): State<AppState>,
    Extension(tenders): Extension<Arc<dyn Tenders>>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<SplitRequest>,
) -> Result<Json<ChecksAnswer>> {
    Ok(Json(
        super::split(&state, &*tenders, &auth, id, &req).await?,
    ))
}

/// Merges another unpaid dine-in check of the branch into this one: both end as `merged` and
/// one new check carries their lines.
#[utoipa::path(post, path = "/api/orders/{id}/merge", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MergeRequest,
    responses((status = 200, body = ChecksAnswer), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_checks(
    State(state): State<AppState>,
    Extension(tenders): Extension<Arc<dyn Tenders>>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<MergeRequest>,
) -> Result<Json<ChecksAnswer>> {
    Ok(Json(
        super::merge(&state, &*tenders, &auth, id, &req).await?,
    ))
}

/// What a check was split or merged from and into, and its equal-split shares with what is
/// paid and due on each.
#[utoipa::path(get, path = "/api/orders/{id}/check", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CheckView), (status = 404, body = Problem)))]
pub async fn check_view(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CheckView>> {
    Ok(Json(super::view(&state, &auth, id).await?))
}
