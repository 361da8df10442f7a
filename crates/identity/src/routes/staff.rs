use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Auth, Role, password, policy},
    db::Tx,
    error::{Error, Problem, Result},
    http::ValidJson,
};
use uuid::Uuid;

use crate::{
    model::{AddStaff, StaffAdded, StaffDto},
    repo,
};

/// Creates a user with a staff membership (and PIN). Used by the API and the demo seed.
pub(crate) async fn create_member(
    tx: &mut Tx,
    state: &AppState,
    tenant_id: Uuid,
    req: &AddStaff,
) -> Result<Uuid> {
    let user_id = Uuid::now_v7();
    let hash = state.limits.hashing.hash(req.password.clone()).await?;
    let pin = match &req.pin {
        Some(pin) => Some((
            state.limits.hashing.hash(pin.clone()).await?,
            password::pin_lookup(&state.pin_pepper, tenant_id, pin),
        )),
        None => None,
    };
    let previous = repo::as_user(tx, user_id).await?;
    repo::insert_user(
        tx,
        user_id,
        &req.email.trim().to_lowercase(),
        &hash,
        &req.display_name,
    )
    .await?;
    repo::restore_user(tx, previous).await?;
    repo::insert_membership(
        tx,
        &repo::NewMembership {
            tenant_id,
            user_id,
            role: req.role,
            branch_id: req.branch_id,
            pin_hash: pin.as_ref().map(|p| p.0.as_str()),
            pin_lookup: pin.as_ref().map(|p| p.1.as_slice()),
        },
    )
    .await?;
    Ok(user_id)
}

/// Add a staff member. Owners add any staff role but owner; managers add cashiers, waiters,
/// kitchen staff and drivers to the branch they manage. Without a `pin`, a 6-digit PIN is made
/// and answered once as `initialPin`. PINs need not be unique: a PIN sign-in names the person.
#[utoipa::path(post, path = "/api/staff", tag = "staff", security(("bearer" = [])),
    request_body = AddStaff,
    responses((status = 201, body = StaffAdded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem)))]
pub async fn add(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ValidJson(mut req): ValidJson<AddStaff>,
) -> Result<(StatusCode, Json<StaffAdded>)> {
    if !req.role.is_staff() || req.role == Role::Owner {
        return Err(Error::invalid(
            "role",
            "must be manager, cashier, waiter, kitchen or driver",
        ));
    }
    if auth.role == Role::Manager {
        if req.role == Role::Manager {
            return Err(Error::Forbidden);
        }
        match (auth.branch_id, req.branch_id) {
            (_, None) if auth.branch_id.is_some() => return Err(Error::Forbidden),
            (_, Some(b)) => auth.require_branch(b)?,
            _ => {}
        }
    }
    let mut tx = state.db.begin(auth.scope()).await?;
    if let Some(b) = req.branch_id {
        repo::branch(&mut tx, b).await.map_err(|e| match e {
            Error::NotFound => Error::invalid("branch_id", "no such branch"),
            other => other,
        })?;
    }
    let initial_pin = req.pin.is_none().then(crate::pins::new_pin);
    req.pin = req.pin.or_else(|| initial_pin.clone());
    let user_id = create_member(&mut tx, &state, auth.tenant_id, &req).await?;
    let staff = repo::list_staff(&mut tx, None)
        .await?
        .into_iter()
        .find(|s| s.user_id == user_id)
        .ok_or(Error::NotFound)?;
    audit::record(&mut tx, auth.tenant_id, (&auth.0).into(), Entry {
        action: "staff.added",
        entity: "membership",
        entity_id: Some(staff.membership_id),
        before: None,
        after: Some(serde_json::json!({ "user_id": user_id, "role": req.role, "branch_id": req.branch_id })),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(StaffAdded { staff, initial_pin })))
}

/// Staff of the brand (a branch-scoped manager sees their branch's staff).
#[utoipa::path(get, path = "/api/staff", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<Json<Vec<StaffDto>>> {
    let scope = auth.branch_id.filter(|_| auth.role != Role::Owner);
    let mut tx = state.db.begin(auth.scope()).await?;
    let staff = repo::list_staff(&mut tx, scope).await?;
    tx.commit().await?;
    Ok(Json(staff))
}
