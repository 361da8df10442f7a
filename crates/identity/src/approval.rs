//! A manager's approval on the spot: a manager (or the owner) types their PIN on the till to
//! let a cashier do what needs a manager — a large refund, voiding a paid order.

use platform::{
    AppState,
    auth::{Role, password},
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

use crate::repo;

/// The user id of the owner or a manager of `branch_id` whose PIN is `pin`; 403 otherwise.
/// The PIN is checked with argon2 like a PIN sign-in, so a wrong guess costs the same time.
pub async fn manager_pin(
    state: &AppState,
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    pin: &str,
) -> Result<Uuid> {
    let lookup = password::pin_lookup(&state.pin_pepper, tenant_id, pin);
    let owner = repo::pin_owner(tx, &lookup).await?;
    let hash = owner
        .as_ref()
        .map_or(password::DUMMY_HASH.to_string(), |o| o.pin_hash.clone());
    let verified = state.limits.hashing.verify(pin.to_string(), hash).await?;
    match owner {
        Some(o)
            if verified
                && matches!(o.role, Role::Owner | Role::Manager)
                && o.branch_id.is_none_or(|b| b == branch_id) =>
        {
            Ok(o.user_id)
        }
        _ => Err(Error::Forbidden),
    }
}
