use axum::{Json, extract::State, http::StatusCode};
use base64::Engine;
use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Auth, BranchAuth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ValidJson},
};
use rand::RngCore;
use uuid::Uuid;

use crate::{
    model::{DeviceDto, DeviceRegistered, RegisterDevice},
    repo,
};

/// Register a POS or KDS for a branch (owner, or a manager of the branch). The signing secret is
/// returned once. A branch has at most 20 devices not revoked (409 `device_limit`).
#[utoipa::path(post, path = "/api/branches/{branch_id}/devices", tag = "devices", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = RegisterDevice,
    responses((status = 201, body = DeviceRegistered), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<RegisterDevice>,
) -> Result<(StatusCode, Json<DeviceRegistered>)> {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut tx = state.db.begin(auth.scope()).await?;
    repo::branch(&mut tx, branch_id).await?;
    auth.require_branch(branch_id)?;
    if repo::active_devices(&mut tx, branch_id).await? >= repo::MAX_DEVICES_PER_BRANCH {
        return Err(Error::conflict(
            "device_limit",
            "this branch has as many devices as it may have: revoke one first",
        ));
    }
    let device = repo::insert_device(
        &mut tx,
        auth.tenant_id,
        branch_id,
        &req.kind,
        &req.name,
        &secret,
        auth.id,
    )
    .await?;
    audit::record(&mut tx, auth.tenant_id, (&auth.0).into(), Entry {
        action: "device.registered",
        entity: "device",
        entity_id: Some(device.id),
        before: None,
        after: Some(serde_json::json!({ "kind": device.kind, "name": device.name, "branch_id": branch_id })),
    })
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(DeviceRegistered {
            device,
            secret: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        }),
    ))
}

/// Devices of a branch.
#[utoipa::path(get, path = "/api/branches/{branch_id}/devices", tag = "devices", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = Vec<DeviceDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<DeviceDto>>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    repo::branch(&mut tx, branch_id).await?;
    auth.require_branch(branch_id)?;
    let devices = repo::list_devices(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(Json(devices))
}

/// Revoke a device: its signatures stop being accepted.
#[utoipa::path(post, path = "/api/devices/{device_id}/revoke", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path)),
    responses((status = 200, body = DeviceDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(device_id): ApiPath<Uuid>,
) -> Result<Json<DeviceDto>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let device = repo::device(&mut tx, device_id).await?;
    auth.require_branch(device.branch_id)?;
    let device = repo::revoke_device(&mut tx, device_id).await?;
    audit::record(
        &mut tx,
        auth.tenant_id,
        (&auth.0).into(),
        Entry {
            action: "device.revoked",
            entity: "device",
            entity_id: Some(device_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Sessions on the device end now here (other instances within the sessions cache's TTL).
    state.sessions.forget(None);
    Ok(Json(device))
}
