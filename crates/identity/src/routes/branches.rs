use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Auth, BranchAuth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ValidJson},
};
use uuid::Uuid;

use crate::{
    model::{BranchDto, BranchInput},
    repo,
};

/// Branches the caller may see: all of them for the owner and unscoped staff, the one branch
/// for scoped staff, open and closed (not archived) branches for customers and guests.
#[utoipa::path(get, path = "/api/branches", tag = "branches", security(("bearer" = [])),
    responses((status = 200, body = Vec<BranchDto>), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
) -> Result<Json<Vec<BranchDto>>> {
    let staff = auth.role.is_staff();
    let only = if staff {
        auth.branch_id
            .filter(|_| auth.role != platform::auth::Role::Owner)
    } else {
        None
    };
    let mut tx = state.db.begin(auth.scope()).await?;
    let branches = repo::list_branches(&mut tx, only, staff).await?;
    tx.commit().await?;
    Ok(Json(branches))
}

/// One branch. Another tenant's branch id is simply not found.
#[utoipa::path(get, path = "/api/branches/{branch_id}", tag = "branches", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = BranchDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Authenticated>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<BranchDto>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let branch = repo::branch(&mut tx, branch_id).await?;
    tx.commit().await?;
    if auth.role.is_staff() {
        auth.require_branch(branch.id)?;
    } else if branch.status == "archived" {
        return Err(Error::NotFound);
    }
    Ok(Json(branch))
}

/// Open a new branch (owner).
#[utoipa::path(post, path = "/api/branches", tag = "branches", security(("bearer" = [])),
    request_body = BranchInput,
    responses((status = 201, body = BranchDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth<policy::Owner>,
    ValidJson(req): ValidJson<BranchInput>,
) -> Result<(StatusCode, Json<BranchDto>)> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let branch = repo::insert_branch(&mut tx, auth.tenant_id, Uuid::now_v7(), &req).await?;
    audit::record(
        &mut tx,
        auth.tenant_id,
        (&auth.0).into(),
        Entry {
            action: "branch.created",
            entity: "branch",
            entity_id: Some(branch.id),
            before: None,
            after: Some(serde_json::to_value(&branch).map_err(anyhow::Error::from)?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(branch)))
}

/// Change a branch (owner, or a manager of that branch).
#[utoipa::path(put, path = "/api/branches/{branch_id}", tag = "branches", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = BranchInput,
    responses((status = 200, body = BranchDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<BranchInput>,
) -> Result<Json<BranchDto>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let before = repo::branch(&mut tx, branch_id).await?;
    auth.require_branch(branch_id)?;
    let after = repo::update_branch(&mut tx, branch_id, &req).await?;
    audit::record(
        &mut tx,
        auth.tenant_id,
        (&auth.0).into(),
        Entry {
            action: "branch.updated",
            entity: "branch",
            entity_id: Some(branch_id),
            before: Some(serde_json::to_value(&before).map_err(anyhow::Error::from)?),
            after: Some(serde_json::to_value(&after).map_err(anyhow::Error::from)?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}
