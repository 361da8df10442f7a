//! A branch's own catalog settings: its price for an item, hiding an item or a whole
//! category, and "86" (sold out now) with un-86. Managers of the branch and the owner; 86 and
//! un-86 also for the branch's cashiers, waiters and kitchen, who are the first to know.

use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{BranchAuth, Principal, Role, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ValidJson},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    changes::{self, Change},
    model::{CategoryOverrideInput, ItemOverride, ItemOverrideInput},
    repo,
    routes::to_json,
};

fn require_manager_of(p: &Principal, branch_id: Uuid) -> Result<()> {
    if !matches!(p.role, Role::Owner | Role::Manager) {
        return Err(Error::Forbidden);
    }
    p.require_branch(branch_id)
}

async fn branch_tx(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<platform::db::Tx> {
    let mut tx = state.db.begin(who.scope()).await?;
    if !repo::branch_exists(&mut tx, branch_id).await? {
        return Err(Error::NotFound);
    }
    Ok(tx)
}

/// The branch's item settings (prices, hidden, 86).
#[utoipa::path(get, path = "/api/branches/{branch_id}/catalog/items", tag = "catalog", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = Vec<ItemOverride>), (status = 403, body = Problem)))]
pub async fn list_item_overrides(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<ItemOverride>>> {
    auth.require_branch(branch_id)?;
    let mut tx = branch_tx(&state, &auth, branch_id).await?;
    let rows = repo::item_overrides(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

/// Sets the branch's price (null: the brand's) and visibility of an item.
#[utoipa::path(put, path = "/api/branches/{branch_id}/catalog/items/{item_id}", tag = "catalog", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), ("item_id" = Uuid, Path)), request_body = ItemOverrideInput,
    responses((status = 200, body = ItemOverride), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_item(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath((branch_id, item_id)): ApiPath<(Uuid, Uuid)>,
    ValidJson(input): ValidJson<ItemOverrideInput>,
) -> Result<Json<ItemOverride>> {
    require_manager_of(&auth, branch_id)?;
    let mut tx = branch_tx(&state, &auth, branch_id).await?;
    if !repo::item_exists(&mut tx, item_id).await? {
        return Err(Error::NotFound);
    }
    let row = repo::set_item_override(
        &mut tx,
        auth.tenant_id,
        branch_id,
        item_id,
        input.price,
        input.hidden,
    )
    .await?;
    changes::record(
        &mut tx,
        &auth,
        Change {
            action: "item.branch_override_set",
            entity: "item",
            entity_id: Some(item_id),
            before: None,
            after: Some(to_json(&row)?),
            branch_id: Some(branch_id),
        },
    )
    .await?;
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(Json(row))
}

/// 86 an item at the branch: sold out from now, recorded with who and when.
#[utoipa::path(post, path = "/api/branches/{branch_id}/catalog/items/{item_id}/sold-out", tag = "catalog", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 200, body = ItemOverride), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn sold_out(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath((branch_id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<ItemOverride>> {
    if auth.role == Role::Driver {
        return Err(Error::Forbidden);
    }
    auth.require_branch(branch_id)?;
    let mut tx = branch_tx(&state, &auth, branch_id).await?;
    if !repo::item_exists(&mut tx, item_id).await? {
        return Err(Error::NotFound);
    }
    let row =
        repo::set_sold_out(&mut tx, auth.tenant_id, branch_id, item_id, Some(auth.id)).await?;
    changes::record(
        &mut tx,
        &auth,
        Change {
            action: "item.sold_out",
            entity: "item",
            entity_id: Some(item_id),
            before: None,
            after: Some(to_json(&row)?),
            branch_id: Some(branch_id),
        },
    )
    .await?;
    changes::announce_stock(&mut tx, &auth, branch_id, item_id, true).await?;
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(Json(row))
}

/// Un-86: the item is on sale again at the branch, its price and visibility as before.
#[utoipa::path(delete, path = "/api/branches/{branch_id}/catalog/items/{item_id}/sold-out", tag = "catalog", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn back_in_stock(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath((branch_id, item_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode> {
    if auth.role == Role::Driver {
        return Err(Error::Forbidden);
    }
    auth.require_branch(branch_id)?;
    let mut tx = branch_tx(&state, &auth, branch_id).await?;
    let before = repo::clear_sold_out(&mut tx, branch_id, item_id).await?;
    if before.is_some() {
        changes::record(
            &mut tx,
            &auth,
            Change {
                action: "item.back_in_stock",
                entity: "item",
                entity_id: Some(item_id),
                before: None,
                after: Some(json!({ "branchId": branch_id, "soldOut": false })),
                branch_id: Some(branch_id),
            },
        )
        .await?;
        changes::announce_stock(&mut tx, &auth, branch_id, item_id, false).await?;
    } else if !repo::item_exists(&mut tx, item_id).await? {
        return Err(Error::NotFound);
    }
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hides (or shows again) a whole category at the branch.
#[utoipa::path(put, path = "/api/branches/{branch_id}/catalog/categories/{category_id}", tag = "catalog", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), ("category_id" = Uuid, Path)), request_body = CategoryOverrideInput,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_category(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath((branch_id, category_id)): ApiPath<(Uuid, Uuid)>,
    ValidJson(input): ValidJson<CategoryOverrideInput>,
) -> Result<StatusCode> {
    require_manager_of(&auth, branch_id)?;
    let mut tx = branch_tx(&state, &auth, branch_id).await?;
    // The category is the resource the path names: unknown (or another brand's) is a 404.
    if !repo::category_exists(&mut tx, category_id).await? {
        return Err(Error::NotFound);
    }
    repo::set_category_override(
        &mut tx,
        auth.tenant_id,
        branch_id,
        category_id,
        input.hidden,
    )
    .await?;
    changes::record(
        &mut tx,
        &auth,
        Change {
            action: "category.branch_override_set",
            entity: "category",
            entity_id: Some(category_id),
            before: None,
            after: Some(json!({ "branchId": branch_id, "hidden": input.hidden })),
            branch_id: Some(branch_id),
        },
    )
    .await?;
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
