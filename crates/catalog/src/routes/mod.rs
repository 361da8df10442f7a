//! HTTP routes of the catalog. Handlers stay thin: check, open a scoped transaction, call the
//! repository, record the change, commit, answer.

pub(crate) mod admin;
mod branch;
pub(crate) mod public;
mod transfer;

use axum::extract::DefaultBodyLimit;
use platform::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

/// A value for the audit log's before/after columns.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> platform::error::Result<serde_json::Value> {
    Ok(serde_json::to_value(v).map_err(anyhow::Error::from)?)
}

/// A menu document with its images can be large; everything else keeps the default limit.
const IMPORT_BODY_LIMIT: usize = 20 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(admin::upload_media))
        .layer(DefaultBodyLimit::max(crate::media::MAX_BYTES + 1));
    let imports = OpenApiRouter::new()
        .routes(routes!(transfer::import))
        .routes(routes!(transfer::export_csv, transfer::import_csv))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT));
    OpenApiRouter::new()
        .routes(routes!(public::brand))
        .routes(routes!(public::menu))
        .routes(routes!(public::search))
        .routes(routes!(public::price))
        .routes(routes!(public::image))
        .routes(routes!(admin::catalog))
        .routes(routes!(transfer::export))
        .routes(routes!(admin::create_menu))
        .routes(routes!(admin::update_menu, admin::archive_menu))
        .routes(routes!(admin::create_category))
        .routes(routes!(admin::update_category, admin::archive_category))
        .routes(routes!(admin::create_item))
        .routes(routes!(admin::update_item, admin::archive_item))
        .routes(routes!(admin::bulk_price))
        .routes(routes!(admin::create_group))
        .routes(routes!(admin::update_group, admin::archive_group))
        .routes(routes!(admin::create_combo))
        .routes(routes!(admin::update_combo, admin::archive_combo))
        .routes(routes!(admin::reorder))
        .routes(routes!(branch::list_item_overrides))
        .routes(routes!(branch::set_item))
        .routes(routes!(branch::sold_out, branch::back_in_stock))
        .routes(routes!(branch::set_category))
        .merge(crate::country::routes::router())
        .merge(uploads)
        .merge(imports)
}
