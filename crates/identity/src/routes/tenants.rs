use axum::{Json, extract::State, http::StatusCode};
use platform::{
    AppState,
    audit::{self, Actor, Entry},
    auth::{PrincipalKind, Role},
    db::TenantScope,
    error::{Problem, Result},
    http::{ClientIp, ValidJson},
};
use uuid::Uuid;

use crate::{
    model::{SignUpTenant, Subject, TaxSettings, TenantCreated},
    repo, tokens,
};

/// Sign up a brand with its owner.
#[utoipa::path(post, path = "/api/tenants", tag = "identity",
    request_body = SignUpTenant,
    responses((status = 201, body = TenantCreated), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem),
              (status = 503, body = Problem)))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(req): ValidJson<SignUpTenant>,
) -> Result<(StatusCode, Json<TenantCreated>)> {
    state.limits.signup.check(&ip)?;
    let hash = state
        .limits
        .hashing
        .hash(req.owner_password.clone())
        .await?;
    let tenant_id = Uuid::now_v7();
    let owner_id = Uuid::now_v7();
    let mut tx = state
        .db
        .begin(TenantScope::tenant(tenant_id).user(owner_id))
        .await?;
    let tenant = repo::insert_tenant(
        &mut tx,
        &repo::NewTenant {
            id: tenant_id,
            slug: &req.slug,
            name: &req.name,
            name_ar: None,
            currency: "SAR",
            vat_rate_bp: 1500,
            vat_inclusive: true,
            default_locale: "en",
        },
    )
    .await?;
    let email = req.owner_email.trim().to_lowercase();
    let display = req.owner_name.as_deref().unwrap_or(&email).to_string();
    repo::insert_user(&mut tx, owner_id, &email, &hash, &display).await?;
    repo::insert_membership(
        &mut tx,
        &repo::NewMembership {
            tenant_id,
            user_id: owner_id,
            role: Role::Owner,
            branch_id: None,
            pin_hash: None,
            pin_lookup: None,
        },
    )
    .await?;
    let subject = Subject {
        id: owner_id,
        tenant_id,
        kind: PrincipalKind::Staff,
        role: Role::Owner,
        branch_id: None,
        device_id: None,
    };
    let tokens = tokens::issue(&mut tx, &state, &subject, None).await?;
    audit::record(
        &mut tx,
        tenant_id,
        Actor {
            id: Some(owner_id),
            role: Some(Role::Owner),
        },
        Entry {
            action: "tenant.created",
            entity: "tenant",
            entity_id: Some(tenant_id),
            before: None,
            after: Some(serde_json::json!({ "slug": tenant.slug, "name": tenant.name })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(TenantCreated {
            tenant,
            owner_id,
            tokens,
        }),
    ))
}

/// The brand's tax settings (owner): the VAT registration number printed on receipts.
#[utoipa::path(put, path = "/api/tenant/tax", tag = "identity", security(("bearer" = [])),
    request_body = TaxSettings,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_tax(
    State(state): State<AppState>,
    auth: platform::auth::Auth<platform::auth::policy::Owner>,
    ValidJson(req): ValidJson<TaxSettings>,
) -> Result<StatusCode> {
    let mut tx = state.db.begin(auth.scope()).await?;
    repo::set_vat_number(&mut tx, auth.tenant_id, req.vat_number.as_deref()).await?;
    audit::record(
        &mut tx,
        auth.tenant_id,
        (&auth.0).into(),
        Entry {
            action: "tenant.tax_updated",
            entity: "tenant",
            entity_id: Some(auth.tenant_id),
            before: None,
            after: Some(serde_json::json!({ "vat_number": req.vat_number })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
