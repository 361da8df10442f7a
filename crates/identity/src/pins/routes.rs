use axum::{Json, extract::State};
use platform::{
    AppState,
    auth::{PrincipalKind, Role, password},
    db::TenantScope,
    error::{Error, Problem, Result},
    http::parse_json,
};

use super::{
    DEVICE_LIMIT, USER_LIMIT,
    repo::{self, Counter, StaffTile},
};
use crate::{
    device_auth::SignedDevice,
    model::{PinLogin, Subject, TokenPair},
    tokens,
};

/// The staff a device's sign-in screen shows as tiles: active staff with a PIN who may work at
/// the device's branch. The request must be signed by the device, like a PIN sign-in.
#[utoipa::path(get, path = "/api/auth/pin/staff", tag = "auth",
    responses((status = 200, body = Vec<StaffTile>), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn tiles(
    State(state): State<AppState>,
    device: SignedDevice,
) -> Result<Json<Vec<StaffTile>>> {
    let mut tx = state
        .db
        .begin(TenantScope::tenant(device.tenant_id))
        .await?;
    let tiles = repo::tiles(&mut tx, device.branch_id).await?;
    tx.commit().await?;
    Ok(Json(tiles))
}

/// Staff PIN sign-in on a registered device, as the staff member picked on the device's tile
/// screen (`GET /api/auth/pin/staff`). The request must be signed by the device
/// (`X-Sous-Device`, `X-Sous-Timestamp`, `X-Sous-Nonce`, `X-Sous-Signature`; see docs/api.md).
/// Five wrong PINs for one member, or ten on one device, lock it for 30 s, doubling with each
/// further failure up to an hour (429 with `Retry-After`). The session is bound to the device
/// (`did`; it ends when the device is revoked), its refresh token lapses after 12 hours without
/// use, and on a kitchen screen (`kds`) it carries the kitchen role whoever signs in.
#[utoipa::path(post, path = "/api/auth/pin", tag = "auth", request_body = PinLogin,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem),
              (status = 503, body = Problem)))]
pub async fn pin_login(
    State(state): State<AppState>,
    device: SignedDevice,
) -> Result<Json<TokenPair>> {
    let req: PinLogin = parse_json(&device.body)?;
    let tenant_id = device.tenant_id;
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let counters = [
        Counter::User(req.user_id),
        Counter::Device(device.device_id),
    ];
    let locked_for = repo::locked_for(&mut tx, tenant_id, &counters).await?;
    if locked_for > 0 {
        return Err(Error::TooManyRequests {
            retry_after_secs: locked_for,
        });
    }
    let member = repo::member(&mut tx, req.user_id, device.branch_id).await?;
    // An unknown member costs the same time as a wrong PIN.
    let hash = member
        .as_ref()
        .map_or(password::DUMMY_HASH.to_string(), |m| m.pin_hash.clone());
    let verified = state.limits.hashing.verify(req.pin.clone(), hash).await?;
    let Some(member) = member.filter(|_| verified) else {
        repo::failed(
            &mut tx,
            tenant_id,
            Counter::Device(device.device_id),
            DEVICE_LIMIT,
        )
        .await?;
        repo::failed(&mut tx, tenant_id, Counter::User(req.user_id), USER_LIMIT).await?;
        tx.commit().await?;
        return Err(Error::Unauthorized("invalid_pin"));
    };
    repo::clear(&mut tx, tenant_id, Counter::User(req.user_id)).await?;
    repo::device_seen(&mut tx, device.device_id).await?;
    // A kitchen screen carries kitchen rights only, whoever signs in on it: a manager's PIN
    // typed at the pass must not leave a manager's session on a shared screen.
    let role = if repo::device_kind(&mut tx, device.device_id).await? == "kds" {
        Role::Kitchen
    } else {
        member.role
    };
    let subject = Subject {
        id: req.user_id,
        tenant_id,
        kind: PrincipalKind::Staff,
        role,
        branch_id: Some(device.branch_id),
        device_id: Some(device.device_id),
    };
    let pair = tokens::issue(&mut tx, &state, &subject, None).await?;
    tx.commit().await?;
    Ok(Json(pair))
}
