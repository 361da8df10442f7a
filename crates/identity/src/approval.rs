//! A manager's approval on the spot: a manager (or the owner) types their PIN on the till to
//! let a cashier do what needs a manager — a large refund, voiding a paid order, a discount.
//!
//! The same goes for a kitchen screen, whose session carries kitchen rights whoever signed in:
//! an action beyond them (recalling a ticket after the recall window) takes a manager's PIN in
//! the [`MANAGER_PIN_HEADER`] of that one request, and the screen's session stays as it was.
//!
//! Wrong PINs count against the caller asking (and the device they use, if any), with the
//! lock-out of [`crate::pins`]; every refused approval is written to the audit log.

use axum::{extract::FromRequestParts, http::request::Parts};
use platform::{
    AppState,
    audit::{self, Entry},
    auth::{Principal, Role, password},
    db::{TenantScope, Tx},
    error::{Error, Result},
};
use uuid::Uuid;

use crate::pins::{
    APPROVAL_LIMIT, DEVICE_LIMIT,
    repo::{self, Counter},
};

/// The request header a manager's PIN comes in, for one action the caller may not do alone. A
/// header rather than a body field, because the actions it approves (a recall) have no body.
pub const MANAGER_PIN_HEADER: &str = "x-manager-pin";

/// The manager's PIN sent in [`MANAGER_PIN_HEADER`], if any. Anything but 4–8 digits is a 422
/// naming the header, and is not counted as a wrong PIN.
#[derive(Debug, Default)]
pub struct ManagerPin(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ManagerPin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let Some(value) = parts.headers.get(MANAGER_PIN_HEADER) else {
            return Ok(Self(None));
        };
        let pin = value
            .to_str()
            .ok()
            .filter(|p| (4..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| Error::invalid("X-Manager-Pin", "a PIN is 4 to 8 digits"))?;
        Ok(Self(Some(pin.to_string())))
    }
}

/// Who approves an action the caller may not do alone: the caller, when signed in as the owner
/// or a manager; else the owner or a manager of `branch_id` whose PIN came with the request.
/// Without a PIN → 403 `manager_pin_required` (`what` says what needs the manager); a wrong or
/// non-manager's PIN → 403, counted and audited; while locked → 429.
pub async fn approve(
    state: &AppState,
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    pin: &ManagerPin,
    what: &str,
) -> Result<Uuid> {
    if matches!(who.role, Role::Owner | Role::Manager) {
        return Ok(who.id);
    }
    let Some(pin) = pin.0.as_deref() else {
        return Err(Error::denied(
            "manager_pin_required",
            format!("{what} needs a manager: send a manager's PIN in X-Manager-Pin"),
        ));
    };
    // Guessing PINs is throttled like a PIN sign-in, before the lock-out counters.
    state.limits.pin.check(&format!("approval:{}", who.id))?;
    manager_pin(state, tx, who, branch_id, pin).await
}

/// Audits an action done with a manager's approval: by the caller, approved by `approver`
/// (the same person when a manager did it signed in), from the caller's device if any.
pub async fn record_approved(
    tx: &mut Tx,
    who: &Principal,
    approver: Uuid,
    mut entry: Entry<'_>,
) -> Result<()> {
    let mut after = match entry.after.take() {
        Some(v @ serde_json::Value::Object(_)) => v,
        Some(v) => serde_json::json!({ "value": v }),
        None => serde_json::json!({}),
    };
    after["approvedBy"] = serde_json::json!(approver);
    after["deviceId"] = serde_json::json!(who.device_id);
    entry.after = Some(after);
    audit::record(tx, who.tenant_id, who.into(), entry).await
}

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
