//! Moving a menu in and out: the whole catalog as JSON, items as CSV.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Error, Problem, Result},
    http::RawBody,
};
use serde_json::json;

use crate::{
    changes::{self, Change},
    repo,
    transfer::{self, CsvImported, Imported, MenuDocument},
};

/// The brand's whole menu as one JSON document (images included), for backup or a move.
#[utoipa::path(get, path = "/api/catalog/export", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = MenuDocument), (status = 403, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<impl IntoResponse> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let doc = transfer::export(&mut tx).await?;
    tx.commit().await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"menu.json\""),
        )],
        Json(doc),
    ))
}

async fn body_json(headers: &HeaderMap, body: &[u8]) -> Result<MenuDocument> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(Error::UnsupportedMediaType);
    }
    platform::http::read_json(body)
}

/// Imports a menu document into a brand whose catalog is empty (409 otherwise): all records
/// or none. Up to 20 MiB, images included.
#[utoipa::path(post, path = "/api/catalog/import", tag = "catalog", security(("bearer" = [])),
    request_body = MenuDocument,
    responses((status = 201, body = Imported), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<Imported>)> {
    auth.require_whole_brand()?;
    let doc = body_json(&headers, &body).await?;
    let mut tx = state.db.begin(auth.scope()).await?;
    // Serialise with other catalog writers before looking at what is there.
    repo::bump_version(&mut tx, auth.tenant_id).await?;
    if !repo::catalog_is_empty(&mut tx).await? {
        return Err(Error::conflict(
            "catalog_not_empty",
            "import goes into a brand without menus; archive the current ones first",
        ));
    }
    let done = transfer::import(&mut tx, auth.tenant_id, &doc).await?;
    changes::record(
        &mut tx,
        &auth,
        Change {
            action: "catalog.imported",
            entity: "catalog",
            entity_id: None,
            before: None,
            after: Some(json!(done)),
            branch_id: None,
        },
    )
    .await?;
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// The brand's items as CSV (lists separated by `|`). A text cell beginning like a spreadsheet
/// formula (`=`, `+`, `-`, `@`, tab, carriage return) is prefixed with `'`.
#[utoipa::path(get, path = "/api/catalog/items.csv", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn export_csv(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<impl IntoResponse> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let csv = transfer::export_csv(&mut tx).await?;
    tx.commit().await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"items.csv\""),
            ),
        ],
        csv,
    ))
}

/// Creates or updates items from CSV (same columns as the export): a row whose `id` or `sku`
/// names an item updates it, others are created in their `category_id`. All rows or none.
#[utoipa::path(post, path = "/api/catalog/items.csv", tag = "catalog", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CsvImported), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn import_csv(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<CsvImported>> {
    auth.require_whole_brand()?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(Error::UnsupportedMediaType);
    }
    let text = std::str::from_utf8(&body).map_err(|_| Error::invalid("body", "is not UTF-8"))?;
    let mut tx = state.db.begin(auth.scope()).await?;
    let done = transfer::import_csv(&mut tx, auth.tenant_id, text).await?;
    changes::record(
        &mut tx,
        &auth,
        Change {
            action: "item.csv_imported",
            entity: "item",
            entity_id: None,
            before: None,
            after: Some(json!({ "created": done.created, "updated": done.updated })),
            branch_id: None,
        },
    )
    .await?;
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(Json(done))
}
