//! Who may do what in ordering: the channel a caller orders through, the staff who act on an
//! order, who handles money at the till, and who approves what needs a manager. A leaf (it
//! names only `lifecycle`), so every sub-domain (and payments) asks the same
//! questions the same way.

use platform::{
    AppState,
    auth::{Policy, Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

use crate::lifecycle::Channel;

/// The channel an order of the caller comes through: the till for front-of-house staff (not
/// the kitchen or drivers), the table's QR code for a guest, the website for a customer.
pub fn channel_of(p: &Principal) -> Result<Channel> {
    match p.kind {
        PrincipalKind::Staff
            if matches!(
                p.role,
                Role::Owner | Role::Manager | Role::Cashier | Role::Waiter
            ) =>
        {
            Ok(Channel::Pos)
        }
        PrincipalKind::Staff => Err(Error::Forbidden),
        PrincipalKind::Guest => Ok(Channel::Qr),
        PrincipalKind::Customer => Ok(Channel::Web),
    }
}

/// Front of house: the staff who seat and serve guests and take their orders at the till —
/// owner, manager, cashier, waiter; not the kitchen or drivers. The policy of the floor's
/// routes (`Auth<FrontOfHouse>`); branch scope is checked on the table or session.
pub struct FrontOfHouse;

impl Policy for FrontOfHouse {
    fn admits(p: &Principal) -> bool {
        p.kind == PrincipalKind::Staff
            && matches!(
                p.role,
                Role::Owner | Role::Manager | Role::Cashier | Role::Waiter
            )
    }
}

/// How `orders.placed_by_kind` and carts name the kind of caller.
pub fn kind_of(p: &Principal) -> &'static str {
    match p.kind {
        PrincipalKind::Staff => "staff",
        PrincipalKind::Guest => "guest",
        PrincipalKind::Customer => "customer",
    }
}

/// Staff who may see and act on the order: its branch's staff (not drivers for payments).
pub fn require_staff_of(who: &Principal, branch_id: Uuid) -> Result<()> {
    if who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)
}

/// Refunds and discounts above this many minor units (50.00) need a manager.
pub const APPROVAL_ABOVE: i64 = 5_000;

/// Who approves: the caller when a manager or the owner, else the manager whose PIN is given.
pub async fn approver(
    state: &AppState,
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    pin: Option<&str>,
) -> Result<Uuid> {
    if matches!(who.role, Role::Owner | Role::Manager) {
        return Ok(who.id);
    }
    let pin = pin.ok_or_else(|| {
        Error::invalid(
            "managerPin",
            "a manager must approve this: enter a manager's PIN",
        )
    })?;
    // Guessing PINs on a till is throttled like PIN sign-in.
    state.limits.pin.check(&format!("approval:{}", who.id))?;
    identity::approval::manager_pin(state, tx, who, branch_id, pin).await
}

/// Money at the till: the owner, a manager or a cashier of the branch.
pub fn require_till(who: &Principal, branch_id: Uuid) -> Result<()> {
    if who.kind != PrincipalKind::Staff
        || !matches!(who.role, Role::Owner | Role::Manager | Role::Cashier)
    {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)
}
