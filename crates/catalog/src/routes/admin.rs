//! The brand's catalog editor: create, update, reorder and archive menus, categories, items,
//! modifier groups and combos; bulk price changes; image uploads. Brand-wide, so for the owner
//! and managers of every branch (a manager scoped to one branch uses the branch overrides).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use platform::{
    AppState,
    auth::{Auth, Principal, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ApiQuery, RawBody, ValidJson},
};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    changes::{self, Change},
    media,
    model::{
        BulkPrice, CategoryInput, Changed, ComboInput, Created, ItemInput, MenuInput,
        ModifierGroupInput, Reorder, ReorderKind,
    },
    repo::{self, Table},
    routes::to_json,
    transfer::{self, MenuDocument},
};

fn cross_field(r: std::result::Result<(), (&'static str, String)>) -> Result<()> {
    r.map_err(|(field, message)| Error::invalid(field, message))
}

/// Runs one brand-wide change: a scoped transaction, the write, and its audit, event and menu
/// rebuilds (see [`changes`]), committed together.
async fn brand_change<F>(
    state: &AppState,
    who: &Principal,
    action: &str,
    entity: &str,
    id: Uuid,
    after: serde_json::Value,
    write: F,
) -> Result<()>
where
    F: for<'t> FnOnce(&'t mut platform::db::Tx) -> futures::future::BoxFuture<'t, Result<()>>,
{
    who.require_whole_brand()?;
    let mut tx = state.db.begin(who.scope()).await?;
    write(&mut tx).await?;
    changes::record(
        &mut tx,
        who,
        Change {
            action,
            entity,
            entity_id: Some(id),
            before: None,
            after: Some(after),
            branch_id: None,
        },
    )
    .await?;
    changes::commit(state, tx, who.tenant_id).await?;
    Ok(())
}

/// The brand's whole catalog, in the import/export format with record ids as keys.
#[utoipa::path(get, path = "/api/catalog", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = MenuDocument), (status = 403, body = Problem)))]
pub async fn catalog(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<Json<MenuDocument>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let doc = transfer::export(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(doc))
}

#[utoipa::path(post, path = "/api/catalog/menus", tag = "catalog", security(("bearer" = [])),
    request_body = MenuInput,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_menu(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<MenuInput>,
) -> Result<(StatusCode, Json<Created>)> {
    let id = Uuid::now_v7();
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "menu.created",
        "menu",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::insert_menu(tx, tenant, id, &input).await }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/catalog/menus/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MenuInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_menu(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(input): ValidJson<MenuInput>,
) -> Result<StatusCode> {
    brand_change(
        &state,
        &auth,
        "menu.updated",
        "menu",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::update_menu(tx, id, &input).await }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/catalog/categories", tag = "catalog", security(("bearer" = [])),
    request_body = CategoryInput,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_category(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<CategoryInput>,
) -> Result<(StatusCode, Json<Created>)> {
    let id = Uuid::now_v7();
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "category.created",
        "category",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::insert_category(tx, tenant, id, &input).await }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/catalog/categories/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CategoryInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_category(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(input): ValidJson<CategoryInput>,
) -> Result<StatusCode> {
    brand_change(
        &state,
        &auth,
        "category.updated",
        "category",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::update_category(tx, id, &input).await }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/catalog/items", tag = "catalog", security(("bearer" = [])),
    request_body = ItemInput,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_item(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<ItemInput>,
) -> Result<(StatusCode, Json<Created>)> {
    let id = Uuid::now_v7();
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "item.created",
        "item",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::insert_item(tx, tenant, id, &input).await }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/catalog/items/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ItemInput,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_item(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(input): ValidJson<ItemInput>,
) -> Result<StatusCode> {
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "item.updated",
        "item",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::update_item(tx, tenant, id, &input).await }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/catalog/modifier-groups", tag = "catalog", security(("bearer" = [])),
    request_body = ModifierGroupInput,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_group(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<ModifierGroupInput>,
) -> Result<(StatusCode, Json<Created>)> {
    cross_field(input.check())?;
    let id = Uuid::now_v7();
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "modifier_group.created",
        "modifier_group",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::insert_group(tx, tenant, id, &input).await.map(drop) }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/catalog/modifier-groups/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ModifierGroupInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_group(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(input): ValidJson<ModifierGroupInput>,
) -> Result<StatusCode> {
    cross_field(input.check())?;
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "modifier_group.updated",
        "modifier_group",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::update_group(tx, tenant, id, &input).await.map(drop) }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/catalog/combos", tag = "catalog", security(("bearer" = [])),
    request_body = ComboInput,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_combo(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<ComboInput>,
) -> Result<(StatusCode, Json<Created>)> {
    cross_field(input.check())?;
    let id = Uuid::now_v7();
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "combo.created",
        "combo",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::insert_combo(tx, tenant, id, &input).await }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(put, path = "/api/catalog/combos/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ComboInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_combo(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(input): ValidJson<ComboInput>,
) -> Result<StatusCode> {
    cross_field(input.check())?;
    let tenant = auth.tenant_id;
    brand_change(
        &state,
        &auth,
        "combo.updated",
        "combo",
        id,
        to_json(&input)?,
        |tx| Box::pin(async move { repo::update_combo(tx, tenant, id, &input).await }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn archive_one(
    state: &AppState,
    who: &Principal,
    table: Table,
    entity: &str,
    id: Uuid,
) -> Result<StatusCode> {
    let action = format!("{entity}.archived");
    brand_change(
        state,
        who,
        &action,
        entity,
        id,
        json!({ "archived": true }),
        |tx| Box::pin(async move { repo::archive(tx, table, id).await }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archives a menu: it leaves every branch at once and stays for the orders that sold from it.
#[utoipa::path(delete, path = "/api/catalog/menus/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_menu(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    archive_one(&state, &auth, Table::Menus, "menu", id).await
}

/// Archives a category.
#[utoipa::path(delete, path = "/api/catalog/categories/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_category(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    archive_one(&state, &auth, Table::Categories, "category", id).await
}

/// Archives an item.
#[utoipa::path(delete, path = "/api/catalog/items/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_item(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    archive_one(&state, &auth, Table::Items, "item", id).await
}

/// Archives a modifier group (items lose it).
#[utoipa::path(delete, path = "/api/catalog/modifier-groups/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_group(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    archive_one(&state, &auth, Table::ModifierGroups, "modifier_group", id).await
}

/// Archives a combo.
#[utoipa::path(delete, path = "/api/catalog/combos/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_combo(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    archive_one(&state, &auth, Table::Combos, "combo", id).await
}

/// Sets the order of menus, of a menu's categories, or of a category's items or combos: `ids`
/// in the order guests should see them.
#[utoipa::path(post, path = "/api/catalog/reorder", tag = "catalog", security(("bearer" = [])),
    request_body = Reorder,
    responses((status = 204), (status = 422, body = Problem)))]
pub async fn reorder(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<Reorder>,
) -> Result<StatusCode> {
    let (table, entity) = match input.kind {
        ReorderKind::Menus => (Table::Menus, "menu"),
        ReorderKind::Categories => (Table::Categories, "category"),
        ReorderKind::Items => (Table::Items, "item"),
        ReorderKind::Combos => (Table::Combos, "combo"),
    };
    let action = format!("{entity}.reordered");
    let after = json!({ "ids": input.ids });
    brand_change(&state, &auth, &action, entity, Uuid::nil(), after, |tx| {
        Box::pin(async move { repo::reorder(tx, table, &input.ids).await })
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes many prices at once: by a percentage or an amount, rounded, never below zero.
#[utoipa::path(post, path = "/api/catalog/items/prices", tag = "catalog", security(("bearer" = [])),
    request_body = BulkPrice,
    responses((status = 200, body = Changed), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn bulk_price(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(input): ValidJson<BulkPrice>,
) -> Result<Json<Changed>> {
    auth.require_whole_brand()?;
    if input.percent_bp.is_none() && input.amount.is_none() {
        return Err(Error::invalid("percentBp", "give percentBp or amount"));
    }
    let mut tx = state.db.begin(auth.scope()).await?;
    let changed = repo::bulk_price(
        &mut tx,
        &input.item_ids,
        input.category_id,
        input.percent_bp.unwrap_or(0),
        input.amount.unwrap_or(0),
        input.round_to,
    )
    .await?;
    let count = changed.len() as u64;
    if count > 0 {
        let prices: Vec<_> = changed
            .iter()
            .map(|(id, before, after)| json!({ "id": id, "before": before, "after": after }))
            .collect();
        changes::record(
            &mut tx,
            &auth,
            Change {
                action: "item.prices_changed",
                entity: "item",
                entity_id: None,
                before: None,
                after: Some(json!({ "prices": prices })),
                branch_id: None,
            },
        )
        .await?;
    }
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(Json(Changed { changed: count }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct UploadQuery {
    /// The sha256 of an uploaded image this one is a smaller copy of: the menu lists it with
    /// that image's sizes (`imageSrcset`), so a phone loads the width it needs.
    #[param(pattern = "^[0-9a-f]{64}$")]
    variant_of: Option<String>,
}

/// Uploads an image (PNG, JPEG or WebP, at most 2 MiB; the body is the image, with its
/// Content-Type). Answers its sha256, which items and categories refer to.
#[utoipa::path(post, path = "/api/catalog/media", tag = "catalog", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 201, body = crate::routes::public::MediaRef), (status = 413, body = Problem),
              (status = 415, body = Problem, description = "the bytes are not a PNG, JPEG or WebP image, or not the declared one"),
              (status = 422, body = Problem, description = "an empty body, an undecodable header, dimensions outside 1 to 10000 pixels, or a `variantOf` that names no image of this brand")))]
pub async fn upload_media(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<UploadQuery>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<crate::routes::public::MediaRef>)> {
    if let Some(of) = &query.variant_of
        && !media::is_sha256(of)
    {
        return Err(Error::invalid(
            "variantOf",
            "must be the sha256 of an uploaded image",
        ));
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let image = media::inspect(declared, &body)?;
    let mut tx = state.db.begin(auth.scope()).await?;
    if query.variant_of.as_deref() == Some(image.sha256.as_str()) {
        return Err(Error::invalid("variantOf", "names this image itself"));
    }
    repo::insert_media(
        &mut tx,
        auth.tenant_id,
        &image,
        &body,
        query.variant_of.as_deref(),
    )
    .await
    .map_err(|e| match e {
        Error::Sqlx(e) => repo::references(e),
        e => e,
    })?;
    platform::audit::record(
        &mut tx,
        auth.tenant_id,
        (&auth.0).into(),
        platform::audit::Entry {
            action: "media.uploaded",
            entity: "media",
            entity_id: None,
            before: None,
            after: Some(json!({ "sha256": image.sha256, "contentType": image.content_type, "size": body.len() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(crate::routes::public::MediaRef {
            url: media::url(&image.sha256),
            sha256: image.sha256,
            content_type: image.content_type.to_string(),
            width: image.width as u32,
            height: image.height as u32,
        }),
    ))
}
