//! SQL of staff changes after hiring: disabling, role and branch changes, PIN and password
//! resets, and ending a member's sessions.

use platform::{
    auth::Role,
    db::Tx,
    error::{Error, Result, ResultExt},
};
use uuid::Uuid;

use crate::model::StaffDto;

pub async fn membership(tx: &mut Tx, id: Uuid) -> Result<StaffDto> {
    sqlx::query_as(
        "select m.id as membership_id, u.id as user_id, u.email::text as email, u.display_name, \
         m.role, m.branch_id, m.pin_hash is not null as has_pin, m.disabled_at \
         from memberships m join users u on u.id = m.user_id \
         where m.id = $1 and m.role <> 'customer'",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn set_disabled(tx: &mut Tx, id: Uuid, disabled: bool) -> Result<()> {
    sqlx::query(
        "update memberships set disabled_at = case when $2 then coalesce(disabled_at, now()) end \
         where id = $1",
    )
    .bind(id)
    .bind(disabled)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_scope(tx: &mut Tx, id: Uuid, role: Role, branch_id: Option<Uuid>) -> Result<()> {
    sqlx::query("update memberships set role = $2, branch_id = $3 where id = $1")
        .bind(id)
        .bind(role)
        .bind(branch_id)
        .execute(&mut **tx)
        .await
        .on_constraint("memberships_user_role_key", || {
            Error::conflict("already_member", "this person already has this role")
        })
        .on_constraint("memberships_tenant_id_branch_id_fkey", || {
            Error::invalid("branchId", "no such branch")
        })?;
    Ok(())
}

pub async fn set_pin(tx: &mut Tx, id: Uuid, hash: &str, lookup: &[u8]) -> Result<()> {
    sqlx::query("update memberships set pin_hash = $2, pin_lookup = $3 where id = $1")
        .bind(id)
        .bind(hash)
        .bind(lookup)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether the person is also a member of another brand (their account, and so their password,
/// is shared with it).
pub async fn member_elsewhere(tx: &mut Tx, user_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar("select auth_member_elsewhere($1)")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Sets a password; the transaction's `app.user_id` must be the user (the RLS update check).
pub async fn set_password(tx: &mut Tx, user_id: Uuid, hash: &str) -> Result<()> {
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every session of the person in this brand: tokens issued before now stop being
/// accepted, and refresh tokens are revoked.
pub async fn end_sessions(tx: &mut Tx, user_id: Uuid) -> Result<()> {
    sqlx::query("update memberships set sessions_valid_after = now() where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update refresh_tokens set revoked_at = now() where subject_id = $1 and revoked_at is null",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
