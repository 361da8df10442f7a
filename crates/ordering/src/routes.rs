//! HTTP routes of the tenders still in ordering, and the card-data check every ordering route
//! passes. Handlers stay thin: parse, check, call the service, answer.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ApiQuery, RawBody, ValidJson},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    checkout,
    drawers::{self, CloseDrawer, DrawerReport, Movement, OpenDrawer, ZReport},
    model::{OrderDto, PaymentRequest, RefundRequest},
    settlement,
};

/// The routes still served from here; `crate::routes()` merges them with the sub-domains'.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pay))
        .routes(routes!(refund))
        .routes(routes!(open_drawer))
        .routes(routes!(drawer_report))
        .routes(routes!(drawer_movement))
        .routes(routes!(close_drawer))
        .routes(routes!(z_report))
        .routes(routes!(record_settlement, list_settlements))
        .routes(routes!(create_payment_session))
        .routes(routes!(payment_session))
        .routes(routes!(payment_webhook))
        .routes(routes!(simulator_page))
        .routes(routes!(simulator_answer))
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
        crate::model::Method::Cash => checkout::pay(&state, &auth, id, &req).await?,
        crate::model::Method::Card => {
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

/// Opens the drawer of the POS device the caller signed in on (by PIN), with a float.
#[utoipa::path(post, path = "/api/drawers", tag = "drawers", security(("bearer" = [])),
    request_body = OpenDrawer,
    responses((status = 201, body = DrawerReport), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open_drawer(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ValidJson(req): ValidJson<OpenDrawer>,
) -> Result<(StatusCode, Json<DrawerReport>)> {
    Ok((
        StatusCode::CREATED,
        Json(drawers::open(&state, &auth, &req).await?),
    ))
}

/// The drawer's X report: float, cash sales and refunds, cash in and out, what it should hold.
#[utoipa::path(get, path = "/api/drawers/{id}", tag = "drawers", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DrawerReport), (status = 404, body = Problem)))]
pub async fn drawer_report(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(drawers::report(&state, &auth, id).await?))
}

/// Cash put into or taken out of an open drawer, with a reason.
#[utoipa::path(post, path = "/api/drawers/{id}/movements", tag = "drawers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = Movement,
    responses((status = 200, body = DrawerReport), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn drawer_movement(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<Movement>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(drawers::movement(&state, &auth, id, &req).await?))
}

/// Closes a drawer with the counted cash; the difference to what it should hold is posted as
/// over/short.
#[utoipa::path(post, path = "/api/drawers/{id}/close", tag = "drawers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CloseDrawer,
    responses((status = 200, body = DrawerReport), (status = 409, body = Problem)))]
pub async fn close_drawer(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<CloseDrawer>,
) -> Result<Json<DrawerReport>> {
    Ok(Json(drawers::close(&state, &auth, id, &req).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The branch's business day (YYYY-MM-DD).
    date: chrono::NaiveDate,
}

/// The branch's end-of-day (Z) report (managers).
#[utoipa::path(get, path = "/api/branches/{branch_id}/reports/z", tag = "drawers", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path), DayQuery),
    responses((status = 200, body = ZReport), (status = 403, body = Problem)))]
pub async fn z_report(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<ZReport>> {
    Ok(Json(
        drawers::z_report(&state, &auth, branch_id, q.date).await?,
    ))
}

/// Books a payout of the card acquirer or online provider: the gross leaves the branch's
/// clearing account, the fees are an expense, the net reaches the bank. Owner or the branch's
/// manager. The same report again answers the payout already booked (`200`).
#[utoipa::path(post, path = "/api/branches/{branch_id}/settlements", tag = "payments", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = settlement::NewSettlement,
    responses((status = 201, body = settlement::Settlement), (status = 200, body = settlement::Settlement, description = "this payout was booked already"),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_settlement(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<settlement::NewSettlement>,
) -> Result<(StatusCode, Json<settlement::Settlement>)> {
    let (created, s) = settlement::record(&state, &auth, branch_id, &req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(s)))
}

/// The branch's clearing accounts (the books next to the payments not settled yet) and its
/// payouts, newest first.
#[utoipa::path(get, path = "/api/branches/{branch_id}/settlements", tag = "payments", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = settlement::SettlementsView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_settlements(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Managers>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<settlement::SettlementsView>> {
    Ok(Json(settlement::list(&state, &auth, branch_id).await?))
}

/// Opens a hosted online payment session for the order (the guest or customer who placed it, or
/// the branch's staff) and answers the provider's page to send the payer to. `Idempotency-Key`
/// is required: a retry answers the same session.
#[utoipa::path(post, path = "/api/orders/{id}/payment-sessions", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, pattern = "^[!-~]{8,200}$", description = "8 to 200 visible ASCII characters (a fresh UUID per order)")),
    request_body = crate::online::SessionBody,
    responses((status = 201, body = crate::online::SessionDto), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem), (status = 504, body = Problem)))]
pub async fn create_payment_session(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ValidJson(req): ValidJson<crate::online::SessionBody>,
) -> Result<(StatusCode, Json<crate::online::SessionDto>)> {
    let key = platform::http::idempotency_key(&headers)?;
    Ok((
        StatusCode::CREATED,
        Json(crate::online::create(&state, &auth, id, &key, &req).await?),
    ))
}

/// Where an online payment session stands (the return page polls it). While it is open the
/// provider is asked, so a lost webhook does not leave the payer waiting.
#[utoipa::path(get, path = "/api/payment-sessions/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = crate::online::SessionDto), (status = 404, body = Problem)))]
pub async fn payment_session(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<crate::online::SessionDto>> {
    Ok(Json(crate::online::status(&state, &auth, id).await?))
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
    let result = crate::online::webhook(&state, &provider, &headers, &body).await?;
    Ok(Json(WebhookAnswer {
        received: true,
        duplicate: matches!(result, crate::online::WebhookResult::AlreadyProcessed),
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
    crate::online::simulator_page(&state, &session_id)
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
    let back = crate::online::simulator_answer(&state, &form.session_id, &form.outcome).await?;
    Ok(axum::response::Redirect::to(&back))
}
