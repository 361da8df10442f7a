//! HTTP routes of a branch's order acceptance.

use axum::{Json, extract::State};
use platform::{
    AppState,
    auth::{BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{AcceptanceInput, AcceptanceRule};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_acceptance, set_acceptance))
}

/// How the branch accepts the orders guests place, per channel (QR, website pickup, website
/// delivery): `auto`, `paid` (once paid online) or `staff`, and how long an order waits for
/// staff before it is cancelled. Defaults: QR `auto`, the website `paid`, ten minutes.
#[utoipa::path(get, path = "/api/branches/{branch_id}/order-acceptance", tag = "orders", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = Vec<AcceptanceRule>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_acceptance(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<AcceptanceRule>>> {
    Ok(Json(super::get(&state, &auth, branch_id).await?))
}

/// Sets the branch's rules for the channels named (the others keep theirs). Owner or the
/// branch's manager; applies to orders placed after.
#[utoipa::path(put, path = "/api/branches/{branch_id}/order-acceptance", tag = "orders", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = AcceptanceInput,
    responses((status = 200, body = Vec<AcceptanceRule>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn set_acceptance(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<AcceptanceInput>,
) -> Result<Json<Vec<AcceptanceRule>>> {
    Ok(Json(super::set(&state, &auth, branch_id, &req).await?))
}
