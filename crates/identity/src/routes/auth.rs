use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{Auth, PrincipalKind, Role, password, policy},
    db::TenantScope,
    error::{Error, Problem, Result},
    http::{ClientIp, OptionalJson, ValidJson},
};

use crate::{
    customers,
    model::{GuestSessionRequest, Login, Me, RefreshRequest, Subject, TokenPair},
    repo, tokens,
};

const BAD_CREDENTIALS: Error = Error::Unauthorized("invalid_credentials");

fn kind_of(role: Role) -> PrincipalKind {
    match role {
        Role::Customer => PrincipalKind::Customer,
        Role::Guest => PrincipalKind::Guest,
        _ => PrincipalKind::Staff,
    }
}

/// Log in with email and password. Staff accounts are shared by the brands a person works for;
/// a customer account belongs to one brand, so a customer names it in `tenant` (without it,
/// only staff accounts are checked). Limited per client address and email, and per client
/// address alone (429 with `Retry-After`); when the server already runs as many password
/// checks as it allows, 503 with `Retry-After`.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(req): ValidJson<Login>,
) -> Result<Json<TokenPair>> {
    let email = req.email.trim().to_lowercase();
    state.limits.login_ip.check(&ip)?;
    state.limits.login.check(&format!("{ip}|{email}"))?;
    let mut tx = state.db.begin_anonymous().await?;
    let candidates = repo::login_candidates(&mut tx, &email).await?;
    let brand = match &req.tenant {
        Some(slug) => repo::tenant_id_by_slug(&mut tx, slug).await?,
        None => None,
    };
    tx.commit().await?;
    let customer = match brand {
        Some(tenant_id) => {
            let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
            let account = customers::repo::credentials(&mut tx, &email).await?;
            tx.commit().await?;
            account.map(|a| (tenant_id, a))
        }
        None => None,
    };
    // The most privileged membership (roles are ordered owner → driver) of the chosen brand.
    let staff = candidates
        .iter()
        .filter(|c| c.tenant_id.is_some())
        .filter(|c| {
            req.tenant
                .as_ref()
                .is_none_or(|t| c.tenant_slug.as_ref() == Some(t))
        })
        .min_by_key(|c| c.role);

    // One password check whatever the email is to this brand — unknown, another brand's
    // customer or staff, or this brand's — so neither the answer nor its timing tells them
    // apart. Only someone who is both staff and a customer of the named brand has two
    // accounts to try.
    let mut subject = None;
    if let Some(s) = staff
        && let (Some(tenant_id), Some(role)) = (s.tenant_id, s.role)
        && state
            .limits
            .hashing
            .verify(req.password.clone(), s.password_hash.clone())
            .await?
    {
        subject = Some(Subject {
            id: s.user_id,
            tenant_id,
            kind: kind_of(role),
            role,
            branch_id: s.branch_id,
            device_id: None,
        });
    }
    if subject.is_none()
        && let Some((tenant_id, account)) = &customer
        && state
            .limits
            .hashing
            .verify(req.password.clone(), account.password_hash.clone())
            .await?
    {
        subject = Some(Subject {
            id: account.id,
            tenant_id: *tenant_id,
            kind: PrincipalKind::Customer,
            role: Role::Customer,
            branch_id: None,
            device_id: None,
        });
    }
    if staff.is_none() && customer.is_none() {
        state
            .limits
            .hashing
            .verify(req.password, password::DUMMY_HASH.into())
            .await?;
    }
    let subject = subject.ok_or(BAD_CREDENTIALS)?;
    let mut tx = state
        .db
        .begin(TenantScope::tenant(subject.tenant_id).user(subject.id))
        .await?;
    let pair = tokens::issue(&mut tx, &state, &subject, None).await?;
    tx.commit().await?;
    Ok(Json(pair))
}

/// Exchange a refresh token for a new pair. The old token dies; presenting it again revokes
/// every token of its family — except within 10 s of its use while its successor is unused (two
/// tabs refreshing at once), which answers the same new refresh token.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = Option<RefreshRequest>,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    OptionalJson(req): OptionalJson<RefreshRequest>,
) -> Result<Json<TokenPair>> {
    state.limits.refresh.check(&ip)?;
    // No token (a cookie-mode client whose cookie is gone sends none): no session to renew.
    let token = req
        .and_then(|r| r.refresh_token)
        .ok_or(Error::Unauthorized("invalid_refresh_token"))?;
    let hash = password::token_hash(&token);
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = repo::refresh_tenant(&mut tx, &hash).await?;
    tx.commit().await?;
    let tenant_id = tenant_id.ok_or(Error::Unauthorized("invalid_refresh_token"))?;

    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let row = repo::lock_refresh(&mut tx, &hash)
        .await?
        .ok_or(Error::Unauthorized("invalid_refresh_token"))?;
    if row.used && !row.revoked {
        // Two tabs refreshing the same token at once: the one that comes second, within the
        // grace, gets the refresh token the first got (and an access token of its own).
        if row.recently_used
            && let Some(child) = repo::live_child(&mut tx, row.id).await?
        {
            tx.commit().await?;
            let subject = Subject {
                id: child.subject_id,
                tenant_id,
                kind: kind_of(child.role),
                role: child.role,
                branch_id: child.branch_id,
                device_id: child.device_id,
            };
            return Ok(Json(TokenPair {
                access_token: tokens::access_token(&state, &subject)?,
                refresh_token: tokens::child_token(&state, &token),
                expires_in: platform::auth::jwt::ACCESS_TTL_SECS,
                token_type: "Bearer".into(),
            }));
        }
        repo::revoke_family(&mut tx, row.family_id).await?;
        tx.commit().await?;
        tracing::warn!(family = %row.family_id, "refresh token reused; family revoked");
        return Err(Error::Unauthorized("refresh_token_reused"));
    }
    if row.used || row.revoked || row.expired {
        return Err(Error::Unauthorized("invalid_refresh_token"));
    }
    // The membership (or guest session) must still be valid; its current scope is used.
    let branch_id = match row.kind.as_str() {
        "guest" => {
            if !repo::guest_session_active(&mut tx, row.subject_id).await? {
                return Err(Error::Unauthorized("session_expired"));
            }
            row.branch_id
        }
        // A device login stays narrowed to the device's branch, and may carry a narrower role
        // than the member's (kitchen on a kitchen screen): any active staff membership that may
        // work at the branch keeps it.
        _ if row.device_id.is_some() => {
            let branch = row
                .branch_id
                .ok_or(Error::Unauthorized("membership_revoked"))?;
            if crate::pins::repo::member_at(&mut tx, row.subject_id, branch).await? {
                row.branch_id
            } else {
                return Err(Error::Unauthorized("membership_revoked"));
            }
        }
        "customer" => {
            if !customers::repo::active(&mut tx, row.subject_id).await? {
                return Err(Error::Unauthorized("membership_revoked"));
            }
            None
        }
        _ => repo::active_membership(&mut tx, row.subject_id, row.role)
            .await?
            .ok_or(Error::Unauthorized("membership_revoked"))?,
    };
    repo::mark_refresh_used(&mut tx, row.id).await?;
    let subject = Subject {
        id: row.subject_id,
        tenant_id,
        kind: kind_of(row.role),
        role: row.role,
        branch_id,
        device_id: row.device_id,
    };
    let pair = tokens::issue(
        &mut tx,
        &state,
        &subject,
        Some((row.family_id, row.id, &token)),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(pair))
}

/// Log out: the refresh token's family is revoked. Unknown tokens are accepted silently.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = Option<RefreshRequest>,
    responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    OptionalJson(req): OptionalJson<RefreshRequest>,
) -> Result<StatusCode> {
    // Without a token there is no session to end.
    let Some(token) = req.and_then(|r| r.refresh_token) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let hash = password::token_hash(&token);
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = repo::refresh_tenant(&mut tx, &hash).await?;
    tx.commit().await?;
    if let Some(tenant_id) = tenant_id {
        let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
        if let Some(row) = repo::lock_refresh(&mut tx, &hash).await? {
            repo::revoke_family(&mut tx, row.family_id).await?;
        }
        tx.commit().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Start an anonymous guest session at a branch for the website: it orders for pickup or
/// delivery. Dine-in sessions start from a table's QR code (`POST /api/tables/{token}/join`).
#[utoipa::path(post, path = "/api/auth/guest", tag = "auth", request_body = GuestSessionRequest,
    responses((status = 201, body = TokenPair), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem, description = "too many sessions from this address")))]
pub async fn guest_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(req): ValidJson<GuestSessionRequest>,
) -> Result<(StatusCode, Json<TokenPair>)> {
    state.limits.signup.check(&format!("guest|{ip}"))?;
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = repo::tenant_id_by_slug(&mut tx, &req.tenant)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let (_, pair) = crate::guests::start(&state, tenant_id, req.branch_id, None).await?;
    Ok((StatusCode::CREATED, Json(pair)))
}

/// The caller: principal, profile and brand.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
) -> Result<Json<Me>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let tenant = repo::current_tenant(&mut tx).await?;
    let profile = match auth.kind {
        PrincipalKind::Guest => None,
        PrincipalKind::Customer => customers::repo::profile(&mut tx, auth.id)
            .await?
            .map(|p| (p.email, p.display_name)),
        PrincipalKind::Staff => repo::user(&mut tx, auth.id)
            .await?
            .map(|u| (u.email, u.display_name)),
    };
    tx.commit().await?;
    let (email, display_name) = profile.unzip();
    Ok(Json(Me {
        principal: auth.0.clone(),
        email,
        display_name,
        tenant,
    }))
}
