//! HTTP routes of promo codes.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Problem, Result},
    http::ValidJson,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::model::{Promo, PromoInput};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_promo, list_promos))
}

/// Creates a promo code (the owner or a manager of every branch).
#[utoipa::path(post, path = "/api/promo-codes", tag = "orders", security(("bearer" = [])),
    request_body = PromoInput,
    responses((status = 201, body = Promo), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_promo(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(req): ValidJson<PromoInput>,
) -> Result<(StatusCode, Json<Promo>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state, &auth, &req).await?),
    ))
}

/// The brand's live promo codes with their use counts.
#[utoipa::path(get, path = "/api/promo-codes", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = Vec<Promo>), (status = 403, body = Problem)))]
pub async fn list_promos(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<Json<Vec<Promo>>> {
    Ok(Json(super::list(&state, &auth).await?))
}
