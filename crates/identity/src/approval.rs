//! A manager's approval on the spot: a manager (or the owner) types their PIN on the till to
//! let a cashier do what needs a manager — a large refund, voiding a paid order, a discount.
//!
//! Wrong PINs count against the caller asking (and the device they use, if any), with the
//! lock-out of [`crate::pins`]; every refused approval is written to the audit log.

use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Principal, password},
    db::{TenantScope, Tx},
    error::{Error, Result},
};
use uuid::Uuid;

use crate::pins::{
    APPROVAL_LIMIT, DEVICE_LIMIT,
    repo::{self, Counter},
};

/// The user id of the owner or a manager of `branch_id` whose PIN is `pin`; 403 otherwise, and
/// 429 while the caller's (or their device's) approvals are locked. The PIN is checked with
/// argon2 like a PIN sign-in, so a wrong guess costs the same time.
pub async fn manager_pin(
    state: &AppState,
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    pin: &str,
) -> Result<Uuid> {
    let mut counters = vec![Counter::Approval(who.id)];
    counters.extend(who.device_id.map(Counter::Device));
    let locked_for = repo::locked_for(tx, who.tenant_id, &counters).await?;
    if locked_for > 0 {
        refused(state, who, branch_id, "locked", &[]).await?;
        return Err(Error::TooManyRequests {
            retry_after_secs: locked_for,
        });
    }
    let lookup = password::pin_lookup(&state.pin_pepper, who.tenant_id, pin);
    let approver = repo::approver(tx, &lookup, branch_id).await?;
    let hash = approver
        .as_ref()
        .map_or(password::DUMMY_HASH.to_string(), |a| a.pin_hash.clone());
    let verified = state.limits.hashing.verify(pin.to_string(), hash).await?;
    match approver {
        Some(a) if verified => Ok(a.user_id),
        _ => {
            refused(state, who, branch_id, "wrong_pin", &counters).await?;
            Err(Error::Forbidden)
        }
    }
}

/// Records a refused approval — the audit entry and the failure counts — in a transaction of
/// its own: the caller's transaction rolls back with the refusal.
async fn refused(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    reason: &str,
    counters: &[Counter],
) -> Result<()> {
    let mut tx = state
        .db
        .begin(TenantScope::tenant(who.tenant_id).user(who.id))
        .await?;
    for &c in counters {
        let limit = match c {
            Counter::Device(_) => DEVICE_LIMIT,
            _ => APPROVAL_LIMIT,
        };
        repo::failed(&mut tx, who.tenant_id, c, limit).await?;
    }
    audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        Entry {
            action: "approval.refused",
            entity: "branch",
            entity_id: Some(branch_id),
            before: None,
            after: Some(serde_json::json!({ "reason": reason, "deviceId": who.device_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
