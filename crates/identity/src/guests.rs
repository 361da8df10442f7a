//! Anonymous guest sessions (QR table ordering, a guest's website cart): a row in
//! `guest_sessions` bound to one branch, and a token pair for it.

use chrono::{Duration, Utc};
use platform::{
    AppState,
    auth::{PrincipalKind, Role},
    db::TenantScope,
    error::{Error, Result},
};
use uuid::Uuid;

use crate::{
    model::{Subject, TokenPair},
    repo, tokens,
};

pub const GUEST_SESSION_HOURS: i64 = 12;

/// Starts a guest session at `branch_id` of `tenant_id` (an archived or unknown branch is a
/// 404). The caller rate-limits: sessions are free to ask for.
pub async fn start(
    state: &AppState,
    tenant_id: Uuid,
    branch_id: Uuid,
    table_ref: Option<&str>,
) -> Result<(Subject, TokenPair)> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let branch = repo::branch(&mut tx, branch_id).await?;
    if branch.status == "archived" {
        return Err(Error::NotFound);
    }
    let id = Uuid::now_v7();
    let expires = Utc::now() + Duration::hours(GUEST_SESSION_HOURS);
    repo::insert_guest_session(&mut tx, id, tenant_id, branch.id, table_ref, expires).await?;
    let subject = Subject {
        id,
        tenant_id,
        kind: PrincipalKind::Guest,
        role: Role::Guest,
        branch_id: Some(branch.id),
        device_id: None,
    };
    let pair = tokens::issue(&mut tx, state, &subject, None).await?;
    tx.commit().await?;
    Ok((subject, pair))
}
