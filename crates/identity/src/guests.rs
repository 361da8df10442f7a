//! Anonymous guest sessions (QR table ordering, a guest's website cart): a row in
//! `guest_sessions` bound to one branch, and a token pair for it.
//!
//! A session at a table is started only from the table's QR code (ordering's
//! `POST /api/tables/{token}/join`), which names the table; the client never does. A session
//! started on the website (`POST /api/auth/guest`) has no table: it orders for pickup or
//! delivery. Sessions are free to ask for, so what a guest could otherwise repeat by starting a
//! new one (a promo code's per-customer limit) is not counted per session.

use chrono::{Duration, Utc};
use platform::{
    AppState,
    auth::{PrincipalKind, Role},
    db::{TenantScope, Tx},
    error::{Error, Result},
};
use uuid::Uuid;

pub use crate::model::{AtTable, GuestSession};
use crate::{
    model::{Subject, TokenPair},
    repo, tokens,
};

pub const GUEST_SESSION_HOURS: i64 = 12;

/// Starts a guest session at `branch_id` of `tenant_id` (an archived or unknown branch is a
/// 404), at `table` when it comes from a table's QR code. The caller rate-limits: sessions are
/// free to ask for.
pub async fn start(
    state: &AppState,
    tenant_id: Uuid,
    branch_id: Uuid,
    table: Option<AtTable<'_>>,
) -> Result<(Subject, TokenPair)> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let branch = repo::branch(&mut tx, branch_id).await?;
    if branch.status == "archived" {
        return Err(Error::NotFound);
    }
    let id = Uuid::now_v7();
    let expires = Utc::now() + Duration::hours(GUEST_SESSION_HOURS);
    repo::insert_guest_session(&mut tx, id, tenant_id, branch.id, table, expires).await?;
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

/// The live session `id`, locked until the caller's transaction ends: a guest's checkouts take
/// turns, so a limit on what one session may do holds however many it sends at once. An expired
/// (or unknown) session → 401.
pub async fn lock(tx: &mut Tx, id: Uuid) -> Result<GuestSession> {
    repo::lock_guest_session(tx, id)
        .await?
        .ok_or(Error::Unauthorized("session_expired"))
}
