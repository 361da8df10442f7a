//! `POST /api/orders` with a card tender: the order is placed, then the card is charged on the
//! terminal through the same steps and recovery point as `POST /api/orders/{id}/payments`
//! (payments' card tender, through the [`Tenders`] port), the charge's attempt recorded under
//! the request's own `Idempotency-Key`.
//!
//! Placing and charging cannot share a transaction (the terminal is called in between), so they
//! are two steps, each idempotent under the one key:
//!
//! 1. the order is placed exactly as without a tender (`orders::place`); its answer is stored
//!    with the key, so a retry finds the same order instead of placing a second;
//! 2. the card is charged for the whole total. A retry with the same key and body carries on
//!    with the attempt the first request started (captured → booked once; never seen by the
//!    terminal → charged now), so a process killed between the terminal and the books is
//!    completed by the retry without a second charge.
//!
//! When the card is declined, or its outcome is not known yet, the order stays placed and
//! unpaid: the answer is the payment's problem (`402`, `503`, `504`) with `Location` naming the
//! order, so the till can take another tender for it.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    error::{Error, Result},
};

use super::{
    NoBasket,
    model::{Method, PlaceOrder},
    tenders::Tenders,
};

/// Whether the request asks for a card with the order.
pub fn wants_card(req: &PlaceOrder) -> bool {
    req.payment
        .as_ref()
        .is_some_and(|p| p.method == Method::Card)
}

/// Places the order, then charges its total on the terminal.
pub async fn place(
    state: &AppState,
    tenders: &dyn Tenders,
    who: &Principal,
    key: &str,
    hash: &[u8],
    mut req: PlaceOrder,
) -> Result<Response> {
    let Some(card) = req.payment.take() else {
        return Err(Error::invalid("payment", "no card tender"));
    };
    // Checked before anything is written: a refusal here places no order.
    if who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    if card.terminal_id.is_none() {
        return Err(Error::invalid(
            "payment.terminalId",
            "name the card terminal that takes the card",
        ));
    }
    if card.tendered.is_some() {
        return Err(Error::invalid("payment.tendered", "only cash is tendered"));
    }
    if card.amount.is_some() {
        return Err(Error::invalid(
            "payment.amount",
            "a card with the order pays its whole total; split tenders with \
             POST /api/orders/{id}/payments",
        ));
    }
    let placed = super::place::<NoBasket>(state, who, key, hash, req, None).await?;
    let order_id = placed.order_id()?;
    let charged = tenders.charge_card(state, who, order_id, key, &card).await;
    let mut res = match charged {
        Ok(order) => (StatusCode::CREATED, Json(order)).into_response(),
        // An offline replay (`clientRef`) of an order paid meanwhile: the order as it is.
        Err(Error::Conflict {
            code: "nothing_due",
            ..
        }) if placed.replayed => {
            let order = super::get(state, who, order_id).await?;
            (StatusCode::OK, Json(order)).into_response()
        }
        Err(e) => {
            let mut res = e.into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/api/orders/{order_id}")) {
                res.headers_mut().insert(header::LOCATION, location);
            }
            return Ok(res);
        }
    };
    if placed.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}
