//! The tenders ordering needs while it places or ends an order, as a port. Payments implements
//! it and the application installs it on ordering's routes (an `Extension`): ordering never
//! names the payments crate, which depends on ordering and not the other way round.

use futures::future::BoxFuture;
use platform::{AppState, auth::Principal, db::Tx, error::Result};
use uuid::Uuid;

use super::{
    facts::Order,
    model::{OrderDto, PaymentRequest},
};

/// What payments does for ordering. Each call runs as the signed-in `who`.
pub trait Tenders: Send + Sync {
    /// Charges what is due on order `order_id` on the terminal `card` names, in the steps and
    /// with the recovery point of a card payment, under the request's `key`; the order as it is
    /// after the charge, or the payment's problem (declined, outcome unknown).
    fn charge_card<'a>(
        &'a self,
        state: &'a AppState,
        who: &'a Principal,
        order_id: Uuid,
        key: &'a str,
        card: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<OrderDto>>;

    /// Gives back every payment of a paid order being voided, in `tx` (the order is locked and
    /// its step checked by the caller): card and online payments at their provider, cash from
    /// the drawer, and the sale reversed in the books. Answers the manager who approved it.
    fn void_paid<'a>(
        &'a self,
        state: &'a AppState,
        tx: &'a mut Tx,
        who: &'a Principal,
        order: &'a Order,
        reason: &'a str,
        manager_pin: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Uuid>>;

    /// How many card or online attempts on the order are still open at a provider (a check is
    /// not split or merged under them).
    fn open_attempts<'a>(&'a self, tx: &'a mut Tx, order_id: Uuid) -> BoxFuture<'a, Result<i64>>;
}
