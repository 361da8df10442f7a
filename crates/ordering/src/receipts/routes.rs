//! HTTP routes of receipts: the simplified tax invoice as data and as a printable page.

use axum::{Json, extract::State};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Problem, Result},
    http::ApiPath,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::Receipt;
use crate::orders;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receipt))
        .routes(routes!(receipt_html))
}

async fn load_receipt(
    state: &AppState,
    who: &platform::auth::Principal,
    id: Uuid,
) -> Result<Receipt> {
    let order = orders::get(state, who, id).await?;
    let mut tx = state.db.begin(who.scope()).await?;
    let r = super::build(&mut tx, &order).await?;
    tx.commit().await?;
    Ok(r)
}

/// The order's simplified tax invoice as data, with its ZATCA QR payload.
#[utoipa::path(get, path = "/api/orders/{id}/receipt", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Receipt), (status = 404, body = Problem)))]
pub async fn receipt(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Receipt>> {
    Ok(Json(load_receipt(&state, &auth, id).await?))
}

/// The receipt as a printable page (80 mm, English and Arabic, QR code).
#[utoipa::path(get, path = "/api/orders/{id}/receipt.html", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/html"), (status = 404, body = Problem)))]
pub async fn receipt_html(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<axum::response::Html<String>> {
    let r = load_receipt(&state, &auth, id).await?;
    Ok(axum::response::Html(super::html(&r)?))
}
