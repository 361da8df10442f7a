use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    auth::{PrincipalKind, Role},
    db::TenantScope,
    error::{Error, Problem, Result},
    http::{ClientIp, ValidJson},
};

use crate::{
    model::{CustomerSignUp, Subject, TokenPair},
    repo as identity_repo, tokens,
};

/// Sign up a customer account with a brand. An email known to another brand (as a customer or
/// as staff) signs up like a new one; only an email that already has a customer account with
/// this brand answers 409.
#[utoipa::path(post, path = "/api/auth/customers", tag = "auth", request_body = CustomerSignUp,
    responses((status = 201, body = TokenPair), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn customer_sign_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(req): ValidJson<CustomerSignUp>,
) -> Result<(StatusCode, Json<TokenPair>)> {
    state.limits.signup.check(&ip)?;
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = identity_repo::tenant_id_by_slug(&mut tx, &req.tenant)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let id = super::create(
        &mut tx,
        &state,
        tenant_id,
        &req.email,
        &req.password,
        &req.display_name,
    )
    .await?;
    let subject = Subject {
        id,
        tenant_id,
        kind: PrincipalKind::Customer,
        role: Role::Customer,
        branch_id: None,
        device_id: None,
    };
    let pair = tokens::issue(&mut tx, &state, &subject, None).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(pair)))
}
