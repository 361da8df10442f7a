//! The order lifecycle: which status may follow which, for which order type.
//!
//! ```text
//! placed → accepted → preparing → ready → served (dine-in)        → closed
//!                                       → picked_up (takeaway, pickup) → closed
//!                                       → out_for_delivery → delivered → closed
//! placed | accepted → cancelled           (before the kitchen starts)
//! any open status   → voided              (with a reason; a manager's PIN once paid)
//! placed | served    → split | merged     (only by splitting or merging checks, never a step)
//! ```
//!
//! Who may take a step by hand (`POST /api/orders/{id}/status`) is narrower than the lifecycle:
//! see [`may_step`].

use platform::auth::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Status {
    Placed,
    Accepted,
    Preparing,
    Ready,
    Served,
    PickedUp,
    OutForDelivery,
    Delivered,
    Closed,
    Cancelled,
    Voided,
    /// Ended by splitting its check: its lines live on in the new checks (`order_links`).
    Split,
    /// Ended by merging its check into another: its lines live on in the merged check.
    Merged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OrderType {
    DineIn,
    Takeaway,
    Pickup,
    Delivery,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Channel {
    Pos,
    Qr,
    Web,
}

impl Status {
    /// Whether the order is finished (nothing more happens to it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Closed | Status::Cancelled | Status::Voided | Status::Split | Status::Merged
        )
    }

    /// Whether the order's sale stands in the books (not reversed by a cancel, a void, a split
    /// or a merge).
    pub fn is_live(self) -> bool {
        !matches!(
            self,
            Status::Cancelled | Status::Voided | Status::Split | Status::Merged
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Placed => "placed",
            Status::Accepted => "accepted",
            Status::Preparing => "preparing",
            Status::Ready => "ready",
            Status::Served => "served",
            Status::PickedUp => "picked_up",
            Status::OutForDelivery => "out_for_delivery",
            Status::Delivered => "delivered",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
            Status::Voided => "voided",
            Status::Split => "split",
            Status::Merged => "merged",
        }
    }
}

/// Whether an order of `kind` may go from `from` to `to`.
pub fn allowed(kind: OrderType, from: Status, to: Status) -> bool {
    use Status::*;
    if from.is_final() {
        return false;
    }
    match (from, to) {
        // Only splitting or merging the check ends an order this way (`checks`).
        (_, Split | Merged) => false,
        (_, Voided) => true,
        (Placed | Accepted, Cancelled) => true,
        (Placed, Accepted) | (Accepted, Preparing) | (Preparing, Ready) => true,
        (Ready, Served) => kind == OrderType::DineIn,
        (Ready, PickedUp) => matches!(kind, OrderType::Takeaway | OrderType::Pickup),
        (Ready, OutForDelivery) => kind == OrderType::Delivery,
        (OutForDelivery, Delivered) => true,
        (Served | PickedUp | Delivered, Closed) => true,
        _ => false,
    }
}

/// Whether `role` may move an order to `to` through the generic status endpoint. Leaving with a
/// driver and the hand-over are made only through the delivery endpoints (the hand-over checks
/// the guest's code), the kitchen and drivers move orders only through their tickets and
/// deliveries, the floor (waiters) takes the service steps, and only a cashier or a manager ends
/// an order (voiding an unpaid order is a manager's, checked where the void is made).
pub fn may_step(role: Role, to: Status) -> bool {
    use Status::*;
    let till = matches!(role, Role::Owner | Role::Manager | Role::Cashier);
    match to {
        OutForDelivery | Delivered => false,
        Cancelled | Voided => till,
        _ => till || role == Role::Waiter,
    }
}

#[cfg(test)]
mod tests {
    use super::{OrderType::*, Status::*, *};

    #[test]
    fn each_order_type_follows_its_path() {
        let paths = [
            (
                DineIn,
                vec![Placed, Accepted, Preparing, Ready, Served, Closed],
            ),
            (
                Takeaway,
                vec![Placed, Accepted, Preparing, Ready, PickedUp, Closed],
            ),
            (
                Pickup,
                vec![Placed, Accepted, Preparing, Ready, PickedUp, Closed],
            ),
            (
                Delivery,
                vec![
                    Placed,
                    Accepted,
                    Preparing,
                    Ready,
                    OutForDelivery,
                    Delivered,
                    Closed,
                ],
            ),
        ];
        for (kind, path) in paths {
            for step in path.windows(2) {
                assert!(
                    allowed(kind, step[0], step[1]),
                    "{kind:?} {:?} → {:?}",
                    step[0],
                    step[1]
                );
            }
        }
    }

    #[test]
    fn only_the_till_ends_orders_and_no_one_delivers_by_hand() {
        for role in Role::ALL {
            assert!(!may_step(role, Delivered), "{role:?}");
            assert!(!may_step(role, OutForDelivery), "{role:?}");
            let till = matches!(role, Role::Owner | Role::Manager | Role::Cashier);
            assert_eq!(may_step(role, Cancelled), till, "{role:?}");
            assert_eq!(may_step(role, Voided), till, "{role:?}");
        }
        for to in [Accepted, Preparing, Ready, Served, Closed] {
            assert!(!may_step(Role::Kitchen, to));
            assert!(!may_step(Role::Driver, to));
        }
        assert!(may_step(Role::Waiter, Served));
        assert!(!may_step(Role::Customer, Accepted));
    }

    #[test]
    fn wrong_endings_skips_and_final_states_are_refused() {
        assert!(!allowed(Takeaway, Ready, Served));
        assert!(!allowed(DineIn, Ready, OutForDelivery));
        assert!(!allowed(Delivery, Ready, PickedUp));
        assert!(!allowed(DineIn, Placed, Ready));
        assert!(
            !allowed(DineIn, Preparing, Cancelled),
            "the kitchen started: void instead"
        );
        assert!(allowed(DineIn, Preparing, Voided));
        assert!(
            !allowed(DineIn, Served, Split),
            "splitting is not a status step"
        );
        assert!(!allowed(DineIn, Placed, Merged));
        for end in [Closed, Cancelled, Voided, Split, Merged] {
            for to in [Placed, Accepted, Voided, Cancelled, Closed] {
                assert!(!allowed(DineIn, end, to), "{end:?} → {to:?}");
            }
        }
    }
}
