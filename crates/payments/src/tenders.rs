//! The tenders ordering asks for, behind its `Tenders` port.

use std::sync::Arc;

use futures::future::BoxFuture;
use ordering::api::{Order, OrderDto, PaymentRequest};
use platform::{AppState, auth::Principal, db::Tx, error::Result};
use uuid::Uuid;

/// Payments' side of `ordering::api::Tenders`, for the application to install on ordering's
/// routes.
pub fn tenders() -> Arc<dyn ordering::api::Tenders> {
    Arc::new(Tenders)
}

struct Tenders;

impl ordering::api::Tenders for Tenders {
    fn charge_card<'a>(
        &'a self,
        state: &'a AppState,
        who: &'a Principal,
        order_id: Uuid,
        key: &'a str,
        card: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<OrderDto>> {
        Box::pin(crate::card::pay(state, who, order_id, key, card))
    }

    fn void_paid<'a>(
        &'a self,
        state: &'a AppState,
        tx: &'a mut Tx,
        who: &'a Principal,
        order: &'a Order,
        reason: &'a str,
        manager_pin: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Uuid>> {
        Box::pin(crate::refunds::void_paid(
            state,
            tx,
            who,
            order,
            reason,
            manager_pin,
        ))
    }

    fn open_attempts<'a>(&'a self, tx: &'a mut Tx, order_id: Uuid) -> BoxFuture<'a, Result<i64>> {
        Box::pin(crate::attempts::repo::open_attempts(tx, order_id))
    }
}
