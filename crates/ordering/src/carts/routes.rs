//! HTTP routes of carts.

use axum::{Json, extract::State, http::HeaderMap};
use platform::{
    AppState,
    error::{Problem, Result},
    http::{ApiPath, ClientIp, RawBody, parse_json},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::model::{JoinTable, JoinedTable};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(join_table))
}

/// Joins the table's shared cart (opening it on the first join). Without a token, a guest
/// session of the table's branch is started and returned in `session` (rate-limited per
/// address like `POST /api/auth/guest`).
#[utoipa::path(post, path = "/api/tables/{token}/join", tag = "tables",
    params(("token" = String, Path)), request_body = Option<JoinTable>,
    responses((status = 200, body = JoinedTable), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn join_table(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<JoinedTable>> {
    // No body and `null` both mean no name: the document states the body as optional
    // (nullable).
    let req: JoinTable = if body.is_empty() {
        JoinTable::default()
    } else {
        parse_json::<Option<JoinTable>>(&body)?.unwrap_or_default()
    };
    Ok(Json(
        super::join::join_table(&state, &headers, &ip, &token, &req).await?,
    ))
}
