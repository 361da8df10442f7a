//! HTTP routes of a branch's service charge.

use axum::{Json, extract::State};
use platform::{
    AppState,
    auth::{BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ServiceCharge;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_service_charge, set_service_charge))
}

/// The branch's service charge (rate 0 when it charges none).
#[utoipa::path(get, path = "/api/branches/{branch_id}/service-charge", tag = "orders", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = ServiceCharge), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_service_charge(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<ServiceCharge>> {
    Ok(Json(super::get(&state, &auth, branch_id).await?))
}

/// Sets the branch's service charge: a rate of the items after discounts, for the order types
/// named (dine-in by default). Owner or the branch's manager; applies to orders placed after.
#[utoipa::path(put, path = "/api/branches/{branch_id}/service-charge", tag = "orders", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = ServiceCharge,
    responses((status = 200, body = ServiceCharge), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn set_service_charge(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<ServiceCharge>,
) -> Result<Json<ServiceCharge>> {
    Ok(Json(super::set(&state, &auth, branch_id, &req).await?))
}
