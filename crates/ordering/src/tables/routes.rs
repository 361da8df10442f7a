//! HTTP routes of dining tables: managing a branch's tables, and what a table's QR code opens.

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
    model::{TableInput, TableView},
    repo::DiningTable,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_table, list_tables))
        .routes(routes!(update_table, archive_table))
        .routes(routes!(regenerate_table_token))
        .routes(routes!(table_view))
}

/// Adds a table to the branch (its owner or managers); it gets a fresh QR token, and the next
/// place of a grid on the floor plan unless it is given one.
#[utoipa::path(post, path = "/api/branches/{branch_id}/dining-tables", tag = "tables", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = TableInput,
    responses((status = 201, body = DiningTable), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_table(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<TableInput>,
) -> Result<(StatusCode, Json<DiningTable>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state, &auth, branch_id, &req).await?),
    ))
}

/// The branch's tables (archived ones left out), by floor area and label, with their QR tokens.
#[utoipa::path(get, path = "/api/branches/{branch_id}/dining-tables", tag = "tables", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = Vec<DiningTable>), (status = 403, body = Problem)))]
pub async fn list_tables(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<DiningTable>>> {
    Ok(Json(super::list(&state, &auth, branch_id).await?))
}

/// Changes a table's label, floor area, seats or whether it is in service, and its place on the
/// floor plan (a place left out stays as it is).
#[utoipa::path(put, path = "/api/dining-tables/{id}", tag = "tables", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = TableInput,
    responses((status = 200, body = DiningTable), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem, description = "invalid, or a place that leaves the plan (`x + width` or `y + height` over 1000)")))]
pub async fn update_table(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<TableInput>,
) -> Result<Json<DiningTable>> {
    Ok(Json(super::update(&state, &auth, id, &req).await?))
}

/// Archives a table: its QR code stops working and its open cart is abandoned.
#[utoipa::path(delete, path = "/api/dining-tables/{id}", tag = "tables", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn archive_table(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    super::archive(&state, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new QR token for the table; the old QR code stops working.
#[utoipa::path(post, path = "/api/dining-tables/{id}/token", tag = "tables", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DiningTable), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn regenerate_table_token(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DiningTable>> {
    Ok(Json(super::regenerate_token(&state, &auth, id).await?))
}

/// What a table's QR code opens: the table, its branch and the branch's menu. Public.
#[utoipa::path(get, path = "/api/tables/{token}", tag = "tables",
    params(("token" = String, Path)),
    responses((status = 200, body = TableView), (status = 404, body = Problem)))]
pub async fn table_view(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<TableView>> {
    Ok(Json(super::view(&state, &token).await?))
}
