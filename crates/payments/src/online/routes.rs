//! HTTP routes of online payments: hosted sessions, the provider's webhook and the
//! simulator's page.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, RawBody, ValidJson},
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_payment_session))
        .routes(routes!(payment_session))
        .routes(routes!(payment_webhook))
        .routes(routes!(simulator_page))
        .routes(routes!(simulator_answer))
}

/// Opens a hosted online payment session for the order (the guest or customer who placed it, or
/// the branch's staff) and answers the provider's page to send the payer to. `Idempotency-Key`
/// is required: a retry answers the same session.
#[utoipa::path(post, path = "/api/orders/{id}/payment-sessions", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, pattern = "^[!-~]{8,200}$", description = "8 to 200 visible ASCII characters (a fresh UUID per order)")),
    request_body = super::SessionBody,
    responses((status = 201, body = super::SessionDto), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem), (status = 504, body = Problem)))]
pub async fn create_payment_session(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ValidJson(req): ValidJson<super::SessionBody>,
) -> Result<(StatusCode, Json<super::SessionDto>)> {
    let key = platform::http::idempotency_key(&headers)?;
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state, &auth, id, &key, &req).await?),
    ))
}

/// Where an online payment session stands (the return page polls it). While it is open the
/// provider is asked, so a lost webhook does not leave the payer waiting.
#[utoipa::path(get, path = "/api/payment-sessions/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = super::SessionDto), (status = 404, body = Problem)))]
pub async fn payment_session(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<super::SessionDto>> {
    Ok(Json(super::status(&state, &auth, id).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAnswer {
    received: bool,
    /// The event was acted on before; nothing changed.
    duplicate: bool,
}

/// The online provider's signed webhook. The signature (HMAC-SHA256) and its timestamp (within
/// five minutes) are checked; a delivery seen before is refused (409); an event acted on before
/// is answered 200 and changes nothing.
#[utoipa::path(post, path = "/api/payments/webhooks/{provider}", tag = "payments",
    params(("provider" = String, Path, description = "`simulator`")),
    responses((status = 200, body = WebhookAnswer), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn payment_webhook(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<WebhookAnswer>> {
    let result = super::webhook(&state, &provider, &headers, &body).await?;
    Ok(Json(WebhookAnswer {
        received: true,
        duplicate: matches!(result, super::WebhookResult::AlreadyProcessed),
    }))
}

/// The online payment SIMULATOR's test page for a session: what is charged, and buttons to
/// approve, decline or "time out" (pay but lose the webhook). No card fields.
#[utoipa::path(get, path = "/api/payments/simulator/pay/{session_id}", tag = "payments",
    params(("session_id" = String, Path)),
    responses((status = 200, content_type = "text/html"), (status = 404, body = Problem)))]
pub async fn simulator_page(
    State(state): State<AppState>,
    ApiPath(session_id): ApiPath<String>,
) -> Result<axum::response::Html<String>> {
    super::simulator_page(&state, &session_id)
        .await?
        .map(axum::response::Html)
        .ok_or(Error::NotFound)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimulatorAnswer {
    session_id: String,
    /// `approve`, `decline` or `timeout`.
    #[schema(pattern = "^(approve|decline|timeout)$")]
    outcome: String,
}

/// The simulator's page answered: the simulated provider settles the session, delivers its
/// signed webhook, and sends the payer back to the session's return address (303).
#[utoipa::path(post, path = "/api/payments/simulator/pay", tag = "payments",
    request_body(content = SimulatorAnswer, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "back to the return address"), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn simulator_answer(
    State(state): State<AppState>,
    platform::http::ApiForm(form): platform::http::ApiForm<SimulatorAnswer>,
) -> Result<axum::response::Redirect> {
    let back = super::simulator_answer(&state, &form.session_id, &form.outcome).await?;
    Ok(axum::response::Redirect::to(&back))
}
