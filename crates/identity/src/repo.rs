//! SQL of the identity context. Every function takes a transaction that already carries the
//! tenant scope (see `platform::db`), so RLS limits each statement to the caller's tenant.

use chrono::{DateTime, Utc};
use platform::{
    auth::Role,
    db::Tx,
    error::{Error, Result, ResultExt},
};
use uuid::Uuid;

use crate::model::{BranchDto, BranchInput, DeviceDto, StaffDto, TenantDto};

pub struct NewTenant<'a> {
    pub id: Uuid,
    pub slug: &'a str,
    pub name: &'a str,
    pub name_ar: Option<&'a str>,
    pub currency: &'a str,
    pub vat_rate_bp: i32,
    pub vat_inclusive: bool,
    pub default_locale: &'a str,
}

pub async fn insert_tenant(tx: &mut Tx, t: &NewTenant<'_>) -> Result<TenantDto> {
    sqlx::query_as(
        "insert into tenants (id, slug, name, name_ar, currency, vat_rate_bp, vat_inclusive, default_locale) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         returning id, slug, name, name_ar, currency::text, vat_rate_bp, vat_inclusive, default_locale",
    )
    .bind(t.id)
    .bind(t.slug)
    .bind(t.name)
    .bind(t.name_ar)
    .bind(t.currency)
    .bind(t.vat_rate_bp)
    .bind(t.vat_inclusive)
    .bind(t.default_locale)
    .fetch_one(&mut **tx)
    .await
    .on_constraint("tenants_slug_key", || {
        Error::conflict("slug_taken", "a brand with this slug already exists")
    })
}

pub async fn set_vat_number(tx: &mut Tx, tenant_id: Uuid, vat_number: Option<&str>) -> Result<()> {
    sqlx::query("update tenants set vat_number = $2 where id = $1")
        .bind(tenant_id)
        .bind(vat_number)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn current_tenant(tx: &mut Tx) -> Result<TenantDto> {
    sqlx::query_as(
        "select id, slug, name, name_ar, currency::text, vat_rate_bp, vat_inclusive, default_locale \
         from tenants where id = app_tenant_id()",
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// Inserts a user; the transaction's `app.user_id` must be `id` (the RLS insert check).
pub async fn insert_user(
    tx: &mut Tx,
    id: Uuid,
    email: &str,
    password_hash: &str,
    display_name: &str,
) -> Result<()> {
    sqlx::query(
        "insert into users (id, email, password_hash, display_name) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(email)
    .bind(password_hash)
    .bind(display_name)
    .execute(&mut **tx)
    .await
    .on_constraint("users_email_key", || {
        Error::conflict("email_taken", "an account with this email already exists")
    })?;
    Ok(())
}

/// Switches the transaction's `app.user_id` to `user_id` (the users table's insert check asks
/// for it) and returns the previous value for [`restore_user`].
pub async fn as_user(tx: &mut Tx, user_id: Uuid) -> Result<Option<String>> {
    let previous: Option<String> =
        sqlx::query_scalar("select nullif(current_setting('app.user_id', true), '')")
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query("select set_config('app.user_id', $1, true)")
        .bind(user_id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(previous)
}

pub async fn restore_user(tx: &mut Tx, previous: Option<String>) -> Result<()> {
    sqlx::query("select set_config('app.user_id', $1, true)")
        .bind(previous.unwrap_or_default())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub struct NewMembership<'a> {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub branch_id: Option<Uuid>,
    pub pin_hash: Option<&'a str>,
    pub pin_lookup: Option<&'a [u8]>,
}

pub async fn insert_membership(tx: &mut Tx, m: &NewMembership<'_>) -> Result<Uuid> {
    sqlx::query_scalar(
        "insert into memberships (id, tenant_id, user_id, role, branch_id, pin_hash, pin_lookup) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(Uuid::now_v7())
    .bind(m.tenant_id)
    .bind(m.user_id)
    .bind(m.role)
    .bind(m.branch_id)
    .bind(m.pin_hash)
    .bind(m.pin_lookup)
    .fetch_one(&mut **tx)
    .await
    .on_constraint("memberships_user_role_key", || {
        Error::conflict("already_member", "this person already has this role")
    })
    .on_constraint("memberships_tenant_id_branch_id_fkey", || {
        Error::invalid("branch_id", "no such branch")
    })
}

#[derive(sqlx::FromRow)]
pub struct LoginCandidate {
    pub user_id: Uuid,
    pub password_hash: String,
    pub tenant_id: Option<Uuid>,
    pub tenant_slug: Option<String>,
    pub role: Option<Role>,
    pub branch_id: Option<Uuid>,
}

pub async fn login_candidates(tx: &mut Tx, email: &str) -> Result<Vec<LoginCandidate>> {
    Ok(sqlx::query_as("select * from auth_login_candidates($1)")
        .bind(email)
        .fetch_all(&mut **tx)
        .await?)
}

pub async fn tenant_id_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("select id from auth_tenant_by_slug($1)")
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?)
}

/// The active membership that a refresh or a PIN acts for.
pub async fn active_membership(
    tx: &mut Tx,
    user_id: Uuid,
    role: Role,
) -> Result<Option<Option<Uuid>>> {
    Ok(sqlx::query_scalar(
        "select branch_id from memberships where user_id = $1 and role = $2 and disabled_at is null",
    )
    .bind(user_id)
    .bind(role)
    .fetch_optional(&mut **tx)
    .await?)
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub email: String,
    pub display_name: String,
}

pub async fn user(tx: &mut Tx, id: Uuid) -> Result<Option<UserRow>> {
    Ok(
        sqlx::query_as("select email::text, display_name from users where id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

// ---- refresh tokens ----

pub struct NewRefresh<'a> {
    pub id: Uuid,
    pub family_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub subject: &'a crate::model::Subject,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_refresh(tx: &mut Tx, r: &NewRefresh<'_>) -> Result<()> {
    let kind = match r.subject.kind {
        platform::auth::PrincipalKind::Staff => "staff",
        platform::auth::PrincipalKind::Customer => "customer",
        platform::auth::PrincipalKind::Guest => "guest",
    };
    sqlx::query(
        "insert into refresh_tokens (id, tenant_id, family_id, parent_id, subject_id, kind, role, \
         branch_id, device_id, token_hash, expires_at) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(r.id)
    .bind(r.subject.tenant_id)
    .bind(r.family_id)
    .bind(r.parent_id)
    .bind(r.subject.id)
    .bind(kind)
    .bind(r.subject.role)
    .bind(r.subject.branch_id)
    .bind(r.subject.device_id)
    .bind(r.token_hash)
    .bind(r.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn refresh_tenant(tx: &mut Tx, hash: &[u8]) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("select auth_refresh_tenant($1)")
        .bind(hash)
        .fetch_one(&mut **tx)
        .await?)
}

#[derive(sqlx::FromRow)]
pub struct RefreshRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub subject_id: Uuid,
    pub kind: String,
    pub role: Role,
    pub branch_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub expired: bool,
    pub used: bool,
    /// Used within the grace for concurrent refreshes.
    pub recently_used: bool,
    pub revoked: bool,
}

pub async fn lock_refresh(tx: &mut Tx, hash: &[u8]) -> Result<Option<RefreshRow>> {
    Ok(sqlx::query_as(
        "select id, family_id, subject_id, kind, role, branch_id, device_id, \
         expires_at <= now() as expired, used_at is not null as used, \
         coalesce(used_at > now() - interval '10 seconds', false) as recently_used, revoked_at is not null as revoked \
         from refresh_tokens where token_hash = $1 for update",
    )
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The unused, unrevoked token that replaced `parent_id`, if any.
pub async fn live_child(tx: &mut Tx, parent_id: Uuid) -> Result<Option<RefreshRow>> {
    Ok(sqlx::query_as(
        "select id, family_id, subject_id, kind, role, branch_id, device_id, false as expired, \
         false as used, false as recently_used, false as revoked from refresh_tokens \
         where parent_id = $1 and used_at is null and revoked_at is null and expires_at > now()",
    )
    .bind(parent_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn mark_refresh_used(tx: &mut Tx, id: Uuid) -> Result<()> {
    sqlx::query("update refresh_tokens set used_at = now() where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn revoke_family(tx: &mut Tx, family_id: Uuid) -> Result<u64> {
    Ok(sqlx::query(
        "update refresh_tokens set revoked_at = now() where family_id = $1 and revoked_at is null",
    )
    .bind(family_id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

pub async fn guest_session_active(tx: &mut Tx, id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from guest_sessions where id = $1 and expires_at > now())",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn insert_guest_session(
    tx: &mut Tx,
    id: Uuid,
    tenant_id: Uuid,
    branch_id: Uuid,
    table: Option<crate::model::AtTable<'_>>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "insert into guest_sessions (id, tenant_id, branch_id, table_id, table_ref, expires_at) \
         values ($1,$2,$3,$4,$5,$6)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(branch_id)
    .bind(table.map(|t| t.id))
    .bind(table.map(|t| t.label))
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn lock_guest_session(
    tx: &mut Tx,
    id: Uuid,
) -> Result<Option<crate::model::GuestSession>> {
    Ok(sqlx::query_as(
        "select branch_id, table_id, table_ref from guest_sessions \
         where id = $1 and expires_at > now() for update",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

// ---- branches ----

const BRANCH_COLS: &str = "id, name, name_ar, address, address_ar, time_zone, lat, lng, \
     opening_hours, status, country, currency, \
     (select c.minor_units from currencies c where c.code = branches.currency) as minor_units";

pub async fn list_branches(
    tx: &mut Tx,
    only: Option<Uuid>,
    include_archived: bool,
) -> Result<Vec<BranchDto>> {
    Ok(sqlx::query_as(&format!(
        "select {BRANCH_COLS} from branches \
         where ($1::uuid is null or id = $1) and ($2 or status <> 'archived') order by created_at, id"
    ))
    .bind(only)
    .bind(include_archived)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn branch(tx: &mut Tx, id: Uuid) -> Result<BranchDto> {
    sqlx::query_as(&format!("select {BRANCH_COLS} from branches where id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn insert_branch(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    b: &BranchInput,
) -> Result<BranchDto> {
    Ok(sqlx::query_as(&format!(
        "insert into branches (id, tenant_id, name, name_ar, address, address_ar, time_zone, lat, lng, \
         opening_hours, status) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) returning {BRANCH_COLS}"
    ))
    .bind(id)
    .bind(tenant_id)
    .bind(&b.name)
    .bind(&b.name_ar)
    .bind(&b.address)
    .bind(&b.address_ar)
    .bind(&b.time_zone)
    .bind(b.lat)
    .bind(b.lng)
    .bind(&b.opening_hours)
    .bind(&b.status)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn update_branch(tx: &mut Tx, id: Uuid, b: &BranchInput) -> Result<BranchDto> {
    sqlx::query_as(&format!(
        "update branches set name = $2, name_ar = $3, address = $4, address_ar = $5, time_zone = $6, \
         lat = $7, lng = $8, opening_hours = $9, status = $10 where id = $1 returning {BRANCH_COLS}"
    ))
    .bind(id)
    .bind(&b.name)
    .bind(&b.name_ar)
    .bind(&b.address)
    .bind(&b.address_ar)
    .bind(&b.time_zone)
    .bind(b.lat)
    .bind(b.lng)
    .bind(&b.opening_hours)
    .bind(&b.status)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

// ---- devices ----

const DEVICE_COLS: &str = "id, branch_id, kind, name, number, created_at, last_seen_at, revoked_at, \
     (select a.locked_until from pin_attempts a where a.tenant_id = devices.tenant_id \
        and a.scope = 'device' and a.subject_id = devices.id and a.locked_until > now()) as locked_until";

/// Active (not revoked) devices a branch may have: each device is another PIN counter, so
/// registering devices without end would multiply the guesses the lock-out allows.
pub const MAX_DEVICES_PER_BRANCH: i64 = 20;

/// Active devices of a branch, counted with the branch row locked so that concurrent
/// registrations cannot both pass the cap.
pub async fn active_devices(tx: &mut Tx, branch_id: Uuid) -> Result<i64> {
    sqlx::query("select 1 from branches where id = $1 for update")
        .bind(branch_id)
        .execute(&mut **tx)
        .await?;
    Ok(sqlx::query_scalar(
        "select count(*) from devices where branch_id = $1 and revoked_at is null",
    )
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn insert_device(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    kind: &str,
    name: &str,
    secret: &[u8],
    created_by: Uuid,
) -> Result<DeviceDto> {
    Ok(sqlx::query_as(&format!(
        "insert into devices (id, tenant_id, branch_id, kind, name, secret, created_by) \
         values ($1,$2,$3,$4,$5,$6,$7) returning {DEVICE_COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(branch_id)
    .bind(kind)
    .bind(name)
    .bind(secret)
    .bind(created_by)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn list_devices(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<DeviceDto>> {
    Ok(sqlx::query_as(&format!(
        "select {DEVICE_COLS} from devices where branch_id = $1 order by created_at"
    ))
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn device(tx: &mut Tx, id: Uuid) -> Result<DeviceDto> {
    sqlx::query_as(&format!("select {DEVICE_COLS} from devices where id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

/// Revokes a device and every session started on it.
pub async fn revoke_device(tx: &mut Tx, id: Uuid) -> Result<DeviceDto> {
    sqlx::query(
        "update refresh_tokens set revoked_at = now() where device_id = $1 and revoked_at is null",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as(&format!(
        "update devices set revoked_at = coalesce(revoked_at, now()) where id = $1 returning {DEVICE_COLS}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

#[derive(sqlx::FromRow)]
pub struct DeviceKey {
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub secret: Vec<u8>,
    pub revoked: bool,
}

pub async fn device_key(tx: &mut Tx, id: Uuid) -> Result<Option<DeviceKey>> {
    Ok(sqlx::query_as("select * from auth_device($1)")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Records an accepted signature; `false` if it was seen before (a replay). Signatures older
/// than the freshness window can no longer be replayed, so they are dropped here.
pub async fn remember_signature(
    tx: &mut Tx,
    tenant_id: Uuid,
    device_id: Uuid,
    signature: &str,
) -> Result<bool> {
    sqlx::query("delete from device_signatures where device_id = $1 and seen_at < now() - interval '5 minutes'")
        .bind(device_id)
        .execute(&mut **tx)
        .await?;
    let inserted = sqlx::query(
        "insert into device_signatures (tenant_id, device_id, signature) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(device_id)
    .bind(signature)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

// ---- staff ----

pub async fn list_staff(tx: &mut Tx, branch: Option<Uuid>) -> Result<Vec<StaffDto>> {
    Ok(sqlx::query_as(
        "select m.id as membership_id, u.id as user_id, u.email::text as email, u.display_name, \
         m.role, m.branch_id, m.pin_hash is not null as has_pin, m.disabled_at \
         from memberships m join users u on u.id = m.user_id \
         where m.role <> 'customer' and ($1::uuid is null or m.branch_id = $1) \
         order by m.role, u.email",
    )
    .bind(branch)
    .fetch_all(&mut **tx)
    .await?)
}
