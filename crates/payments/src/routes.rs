//! HTTP routes of the tenders of an order (a payment, a refund), and every payments route
//! merged. Handlers stay thin: parse, check, call the service, answer.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use ordering::api::{Method, OrderDto, PaymentRequest};

use crate::refunds::RefundRequest;

/// The payments routes: the tenders of an order, the drawers, the settlements and online
/// payments. Card data never reaches a handler.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pay))
        .routes(routes!(refund))
        .merge(crate::drawers::routes::routes())
        .merge(crate::settlements::routes::routes())
        .merge(crate::online::routes::routes())
        .layer(axum::middleware::from_fn(
            platform::card_data::refuse_card_data,
        ))
}

/// Takes a payment for an order, up to what is due. Cash: the change is tendered − amount.
/// Card: on the named terminal (`terminalId`), with a required `Idempotency-Key`; a decline is a
/// 402 naming it, a terminal that did not answer a 504 — retry with the same key, which never
/// charges twice.
#[utoipa::path(post, path = "/api/orders/{id}/payments", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{8,200}$", description = "required for card: 8 to 200 visible ASCII characters")),
    request_body = PaymentRequest,
    responses((status = 201, body = OrderDto), (status = 402, body = Problem, description = "the card was declined"),
              (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem, description = "the terminal could not be reached; nothing was charged"),
              (status = 504, body = Problem, description = "the terminal did not answer; being resolved")))]
pub async fn pay(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ValidJson(req): ValidJson<PaymentRequest>,
) -> Result<(StatusCode, Json<OrderDto>)> {
    let order = match req.method {
        Method::Cash => crate::cash::pay(&state, &auth, id, &req).await?,
        Method::Card => {
            let key = platform::http::idempotency_key(&headers)?;
            crate::card::pay(&state, &auth, id, &key, &req).await?
        }
    };
    Ok((StatusCode::CREATED, Json(order)))
}

/// Gives money back against a payment (partly or in full, never more than was taken). Once the
/// order's refunds together (this one included) pass 50.00, a manager approves: signed in, or
/// by `managerPin`.
#[utoipa::path(post, path = "/api/orders/{id}/refunds", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RefundRequest,
    responses((status = 201, body = OrderDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem, description = "too many manager PIN attempts"),
              (status = 503, body = Problem, description = "the provider could not be reached; nothing was refunded"),
              (status = 504, body = Problem, description = "the provider did not answer; being resolved")))]
pub async fn refund(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<RefundRequest>,
) -> Result<(StatusCode, Json<OrderDto>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::refunds::refund(&state, &auth, id, &req).await?),
    ))
}
