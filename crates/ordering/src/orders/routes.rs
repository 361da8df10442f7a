//! HTTP routes of orders: placing, reading, listing and moving them through their lifecycle,
//! and the open tables of a branch. Handlers stay thin: parse, check, call the service, answer.

use std::sync::Arc;

use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ApiQuery, RawBody, ValidJson, parse_json},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::tenders::Tenders;
use super::{
    model::{ChangeStatus, OrderDto, PlaceOrder, StatusChange},
    repo,
};
use crate::lifecycle::{OrderType, Status};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(place, list))
        .routes(routes!(get))
        .routes(routes!(history))
        .routes(routes!(change_status))
        .routes(routes!(open_tables))
        .routes(routes!(move_table))
}

/// Places an order (staff at the POS, a guest at a table, a customer online). Every line is
/// priced from the branch's menu now. `Idempotency-Key` is required: the same key and body
/// answer the same order; the same key with another body is a 422.
#[utoipa::path(post, path = "/api/orders", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{8,200}$", description = "8 to 200 visible ASCII characters (a fresh UUID per order)")),
    request_body = PlaceOrder,
    responses((status = 201, body = OrderDto), (status = 200, body = OrderDto, description = "an earlier order with this clientRef"),
              (status = 400, body = Problem), (status = 402, body = Problem, description = "a card with the order was declined: the order is placed and unpaid (Location)"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 415, body = Problem),
              (status = 422, body = Problem, description = "invalid, or refused: `branch_closed` (a guest's or customer's order at a closed branch, not scheduled for an open time), `guest_order_limit` (a guest session's tenth order was its last); a dine-in table comes from the guest session's QR code"),
              (status = 504, body = Problem, description = "a card with the order: outcome not known yet; retry with the same key")))]
pub async fn place(
    State(state): State<AppState>,
    Extension(tenders): Extension<Arc<dyn Tenders>>,
    auth: Auth<policy::Authenticated>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response> {
    let key = platform::http::idempotency_key(&headers)?;
    let req: PlaceOrder = parse_json(&body)?;
    let hash = super::request_hash(&auth, &body);
    // A card with the order: placed, then charged in steps (see `card_at_placement`).
    if super::card_at_placement::wants_card(&req) {
        return super::card_at_placement::place(&state, &*tenders, &auth, &key, &hash, req).await;
    }
    answered(super::place::<super::NoBasket>(&state, &auth, &key, &hash, req, None).await?)
}

pub(crate) fn answered(answer: super::Answer) -> Result<Response> {
    // The body is JSON text already (serialised once, or stored): sent as it is.
    let mut res = (
        answer.status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response();
    if answer.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// One order: the branch's staff, or the guest or customer who placed it.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<OrderDto>> {
    Ok(Json(super::get(&state, &auth, id).await?))
}

/// The order's status history, oldest first: placement, then every transition with its
/// reason and who made it. Visible to whoever may see the order.
#[utoipa::path(get, path = "/api/orders/{id}/history", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StatusChange>), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<StatusChange>>> {
    Ok(Json(super::status_history(&state, &auth, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    branch_id: Uuid,
    status: Option<Status>,
    #[serde(rename = "type")]
    order_type: Option<OrderType>,
    since: Option<DateTime<Utc>>,
    /// Cursor: the last id of the previous page.
    before: Option<Uuid>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// A branch's orders, newest first (staff of the branch).
#[utoipa::path(get, path = "/api/orders", tag = "orders", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = Vec<OrderDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<OrderDto>>> {
    auth.require_branch(q.branch_id)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::invalid("limit", "must be 1 to 200"));
    }
    let mut tx = state.db.begin(auth.scope()).await?;
    let rows = repo::list(
        &mut tx,
        &repo::ListFilter {
            branch_id: q.branch_id,
            status: q.status,
            order_type: q.order_type,
            since: q.since,
            before: q.before,
            limit,
        },
    )
    .await?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(repo::order_dto(&mut tx, row).await?);
    }
    tx.commit().await?;
    Ok(Json(orders))
}

/// Moves an order along its lifecycle; an illegal step is a 409. The role decides which steps
/// are taken here (403 otherwise, nothing changed): the kitchen and drivers take none, no one
/// sets `out_for_delivery` or `delivered` (the delivery endpoints do), and only a cashier or a
/// manager cancels or voids — with a reason. Voiding needs a manager; a paid order must be
/// refunded first.
#[utoipa::path(post, path = "/api/orders/{id}/status", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ChangeStatus,
    responses((status = 200, body = OrderDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem, description = "the caller's role does not take this step, or a PIN that is not a manager's"),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem, description = "too many manager PIN attempts"),
              (status = 503, body = Problem, description = "a card terminal could not be reached; nothing was voided"),
              (status = 504, body = Problem, description = "a card terminal did not answer; void again")))]
pub async fn change_status(
    State(state): State<AppState>,
    Extension(tenders): Extension<Arc<dyn Tenders>>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<ChangeStatus>,
) -> Result<Json<OrderDto>> {
    Ok(Json(
        super::change_status(&state, &*tenders, &auth, id, &req).await?,
    ))
}

/// The branch's tables with open dine-in orders: what is on each and what is still due.
#[utoipa::path(get, path = "/api/branches/{branch_id}/tables", tag = "orders", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = Vec<repo::OpenTable>), (status = 403, body = Problem)))]
pub async fn open_tables(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<Vec<repo::OpenTable>>> {
    auth.require_branch(branch_id)?;
    let mut tx = state.db.begin(auth.scope()).await?;
    let tables = repo::open_tables(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(Json(tables))
}

#[derive(Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveTable {
    #[garde(length(chars, min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    table: String,
}

/// Moves an open dine-in order to another table.
#[utoipa::path(post, path = "/api/orders/{id}/table", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MoveTable,
    responses((status = 200, body = OrderDto), (status = 409, body = Problem)))]
pub async fn move_table(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(req): ValidJson<MoveTable>,
) -> Result<Json<OrderDto>> {
    Ok(Json(
        super::move_table(&state, &auth, id, &req.table).await?,
    ))
}
