//! HTTP routes of the settlements.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{BranchAuth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_settlement, list_settlements))
}

/// Books a payout of the card acquirer or online provider: the gross leaves the branch's
/// clearing account, the fees are an expense, the net reaches the bank. Owner or the branch's
/// manager. The same report again answers the payout already booked (`200`).
#[utoipa::path(post, path = "/api/branches/{branch_id}/settlements", tag = "payments", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = super::NewSettlement,
    responses((status = 201, body = super::Settlement), (status = 200, body = super::Settlement, description = "this payout was booked already"),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_settlement(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<super::NewSettlement>,
) -> Result<(StatusCode, Json<super::Settlement>)> {
    let (created, s) = super::record(&state, &auth, branch_id, &req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(s)))
}

/// The branch's clearing accounts (the books next to the payments not settled yet) and its
/// payouts, newest first.
#[utoipa::path(get, path = "/api/branches/{branch_id}/settlements", tag = "payments", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = super::SettlementsView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_settlements(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<super::SettlementsView>> {
    Ok(Json(super::list(&state, &auth, branch_id).await?))
}
