//! Staff after hiring: disable and enable a member, change their role or branch, reset their
//! PIN or password. Owners change any member but an owner; managers change cashiers, waiters,
//! kitchen staff and drivers — a branch manager only those of their branch, and never into a
//! manager or owner. Every change is in the audit log with who made it; disabling, a role or
//! branch change and a password reset end the member's sessions at once; disabling also clocks
//! them out.

pub mod repo;

use axum::{Json, extract::State, http::StatusCode};
use garde::Validate;
use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Auth, Principal, Role, password, policy},
    db::Tx,
    error::{Error, Problem, Result},
    http::{ApiPath, ValidJson},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    model::StaffDto,
    pins::repo::{self as pins, Counter},
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateStaff {
    /// manager, cashier, waiter, kitchen or driver.
    #[garde(skip)]
    #[schema(schema_with = crate::model::staff_role)]
    pub role: Role,
    /// The branch they work at; null: every branch.
    #[garde(skip)]
    pub branch_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetPin {
    /// 4 to 8 digits; left out, a 6-digit PIN is made and answered once.
    #[garde(inner(pattern(r"^[0-9]{4,8}$")))]
    #[schema(pattern = "^[0-9]{4,8}$")]
    #[serde(default)]
    pub pin: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PinReset {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_pin: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetPassword {
    #[garde(length(chars, min = 10, max = 200))]
    #[schema(min_length = 10, max_length = 200)]
    pub password: String,
}

/// May `who` change `target` at all?
fn may_change(who: &Principal, target: &StaffDto) -> Result<()> {
    if target.role == Role::Owner {
        return Err(Error::Forbidden);
    }
    if who.role == Role::Manager {
        if target.role == Role::Manager {
            return Err(Error::Forbidden);
        }
        if let Some(b) = who.branch_id
            && target.branch_id != Some(b)
        {
            return Err(Error::Forbidden);
        }
    }
    Ok(())
}

/// May `who` give this role and branch?
fn may_assign(who: &Principal, role: Role, branch_id: Option<Uuid>) -> Result<()> {
    if !role.is_staff() || role == Role::Owner {
        return Err(Error::invalid(
            "role",
            "must be manager, cashier, waiter, kitchen or driver",
        ));
    }
    if who.role == Role::Manager
        && (role == Role::Manager || (who.branch_id.is_some() && branch_id != who.branch_id))
    {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Opens the change: the membership as it is, checked against what the caller may change.
async fn open(state: &AppState, who: &Principal, membership_id: Uuid) -> Result<(Tx, StaffDto)> {
    let mut tx = state.db.begin(who.scope()).await?;
    let before = repo::membership(&mut tx, membership_id).await?;
    may_change(who, &before)?;
    Ok((tx, before))
}

/// Ends the change: the member's sessions (when asked), the audit entry, the commit.
async fn close(
    state: &AppState,
    who: &Principal,
    mut tx: Tx,
    before: StaffDto,
    action: &str,
    ends_sessions: bool,
) -> Result<StaffDto> {
    if ends_sessions {
        repo::end_sessions(&mut tx, before.user_id).await?;
    }
    let after = repo::membership(&mut tx, before.membership_id).await?;
    let snapshot = |m: &StaffDto| {
        serde_json::json!({ "userId": m.user_id, "role": m.role, "branchId": m.branch_id,
                            "disabledAt": m.disabled_at })
    };
    audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        Entry {
            action,
            entity: "membership",
            entity_id: Some(before.membership_id),
            before: Some(snapshot(&before)),
            after: Some(snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget(Some(before.user_id));
    Ok(after)
}

/// Disable a member: their sessions end at once (access and refresh tokens, on every device),
/// their password and PIN are refused until they are enabled again, and an open time-clock
/// entry of theirs closes now (unless another role of theirs in the brand is still enabled).
#[utoipa::path(post, path = "/api/staff/{membership_id}/disable", tag = "staff", security(("bearer" = [])),
    params(("membership_id" = Uuid, Path)),
    responses((status = 200, body = StaffDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn disable(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(membership_id): ApiPath<Uuid>,
) -> Result<Json<StaffDto>> {
    let (mut tx, m) = open(&state, &auth, membership_id).await?;
    repo::set_disabled(&mut tx, m.membership_id, true).await?;
    crate::time_clock::repo::close_when_disabled(&mut tx, m.user_id, auth.id).await?;
    Ok(Json(
        close(&state, &auth, tx, m, "staff.disabled", true).await?,
    ))
}

/// Enable a disabled member again (they sign in anew; old sessions stay ended).
#[utoipa::path(post, path = "/api/staff/{membership_id}/enable", tag = "staff", security(("bearer" = [])),
    params(("membership_id" = Uuid, Path)),
    responses((status = 200, body = StaffDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn enable(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(membership_id): ApiPath<Uuid>,
) -> Result<Json<StaffDto>> {
    let (mut tx, m) = open(&state, &auth, membership_id).await?;
    repo::set_disabled(&mut tx, m.membership_id, false).await?;
    Ok(Json(
        close(&state, &auth, tx, m, "staff.enabled", false).await?,
    ))
}

/// Change a member's role and branch (both given; `branchId` null for every branch). Their
/// sessions end, so the new scope applies from their next sign-in.
#[utoipa::path(put, path = "/api/staff/{membership_id}", tag = "staff", security(("bearer" = [])),
    params(("membership_id" = Uuid, Path)), request_body = UpdateStaff,
    responses((status = 200, body = StaffDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(membership_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<UpdateStaff>,
) -> Result<Json<StaffDto>> {
    may_assign(&auth, req.role, req.branch_id)?;
    let (mut tx, m) = open(&state, &auth, membership_id).await?;
    if let Some(b) = req.branch_id {
        crate::repo::branch(&mut tx, b).await.map_err(|e| match e {
            Error::NotFound => Error::invalid("branchId", "no such branch"),
            other => other,
        })?;
    }
    repo::set_scope(&mut tx, m.membership_id, req.role, req.branch_id).await?;
    Ok(Json(
        close(&state, &auth, tx, m, "staff.changed", true).await?,
    ))
}

/// Reset a member's PIN (a new one given, or 6 digits made and answered once). It also clears
/// their PIN lock-out.
#[utoipa::path(post, path = "/api/staff/{membership_id}/pin", tag = "staff", security(("bearer" = [])),
    params(("membership_id" = Uuid, Path)), request_body = ResetPin,
    responses((status = 200, body = PinReset), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn reset_pin(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(membership_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<ResetPin>,
) -> Result<Json<PinReset>> {
    let initial_pin = req.pin.is_none().then(crate::pins::new_pin);
    let pin = req.pin.or_else(|| initial_pin.clone()).unwrap_or_default();
    let hash = state.limits.hashing.hash(pin.clone()).await?;
    let lookup = password::pin_lookup(&state.pin_pepper, auth.tenant_id, &pin);
    let (mut tx, m) = open(&state, &auth, membership_id).await?;
    repo::set_pin(&mut tx, m.membership_id, &hash, &lookup).await?;
    pins::clear(&mut tx, auth.tenant_id, Counter::User(m.user_id)).await?;
    close(&state, &auth, tx, m, "staff.pin_reset", false).await?;
    Ok(Json(PinReset { initial_pin }))
}

/// Set a member's password. Their sessions end. A person who also belongs to another brand
/// shares their account with it, so only they can change it (409 `shared_account`).
#[utoipa::path(post, path = "/api/staff/{membership_id}/password", tag = "staff", security(("bearer" = [])),
    params(("membership_id" = Uuid, Path)), request_body = ResetPassword,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(membership_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<ResetPassword>,
) -> Result<StatusCode> {
    let hash = state.limits.hashing.hash(req.password).await?;
    let (mut tx, m) = open(&state, &auth, membership_id).await?;
    if repo::member_elsewhere(&mut tx, m.user_id).await? {
        return Err(Error::conflict(
            "shared_account",
            "this person signs in to another brand with the same account; they change their password themselves",
        ));
    }
    let previous = crate::repo::as_user(&mut tx, m.user_id).await?;
    repo::set_password(&mut tx, m.user_id, &hash).await?;
    crate::repo::restore_user(&mut tx, previous).await?;
    close(&state, &auth, tx, m, "staff.password_reset", true).await?;
    Ok(StatusCode::NO_CONTENT)
}
