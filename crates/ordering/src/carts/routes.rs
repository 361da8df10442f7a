//! HTTP routes of carts.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ClientIp, RawBody, ValidJson, parse_json},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{CartCheckout, CartDto, JoinTable, JoinedTable, NewCartRequest};
use crate::orders::{
    self,
    model::{LineRequest, OrderDto},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join_table))
        .routes(routes!(create_cart))
        .routes(routes!(get_cart))
        .routes(routes!(add_cart_line))
        .routes(routes!(replace_cart_line, remove_cart_line))
        .routes(routes!(checkout_cart))
}

/// Joins the table's shared cart (opening it on the first join). Without a token, a guest
/// session of the table's branch is started and returned in `session` (rate-limited per
/// address like `POST /api/auth/guest`).
#[utoipa::path(post, path = "/api/tables/{token}/join", tag = "tables",
    params(("token" = String, Path)), request_body = Option<JoinTable>,
    responses((status = 200, body = JoinedTable), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn join_table(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<JoinedTable>> {
    // No body and `null` both mean no name: the document states the body as optional
    // (nullable).
    let req: JoinTable = if body.is_empty() {
        JoinTable::default()
    } else {
        parse_json::<Option<JoinTable>>(&body)?.unwrap_or_default()
    };
    Ok(Json(
        super::join::join_table(&state, &headers, &ip, &token, &req).await?,
    ))
}

/// The cart version the client saw, from `If-Match` (optional).
fn if_match(headers: &HeaderMap) -> Result<Option<i32>> {
    headers
        .get("if-match")
        .map(|v| {
            v.to_str()
                .ok()
                .map(|s| s.trim().trim_matches('"'))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| Error::invalid("If-Match", "must be the cart's version"))
        })
        .transpose()
}

/// Opens a cart: staff at the POS (with `tableId`: the table's shared cart, joined if open),
/// a customer or a guest on the website. 201 for a new cart, 200 for the table's open one.
#[utoipa::path(post, path = "/api/carts", tag = "carts", security(("bearer" = [])),
    request_body = NewCartRequest,
    responses((status = 201, body = CartDto), (status = 200, body = CartDto), (status = 403, body = Problem), (status = 404, body = Problem, description = "no such branch (or table) in the brand"), (status = 422, body = Problem)))]
pub async fn create_cart(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ValidJson(req): ValidJson<NewCartRequest>,
) -> Result<(StatusCode, Json<CartDto>)> {
    let (cart, created) = super::create(&state, &auth, &req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(cart)))
}

/// The cart: members, every line with who added it, checked and priced by the menu now.
/// Members and the branch's staff only (anyone else: 404).
#[utoipa::path(get, path = "/api/carts/{id}", tag = "carts", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CartDto), (status = 404, body = Problem)))]
pub async fn get_cart(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CartDto>> {
    Ok(Json(super::get(&state, &auth, id).await?))
}

/// Adds a line, checked and priced by the branch's menu now (422 naming the field if the
/// selection cannot be ordered).
#[utoipa::path(post, path = "/api/carts/{id}/lines", tag = "carts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^\"?[0-9]{1,9}\"?$", description = "the cart version seen")),
    request_body = LineRequest,
    responses((status = 201, body = CartDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_cart_line(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ValidJson(req): ValidJson<LineRequest>,
) -> Result<(StatusCode, Json<CartDto>)> {
    let expected = if_match(&headers)?;
    Ok((
        StatusCode::CREATED,
        Json(super::add_line(&state, &auth, id, expected, &req).await?),
    ))
}

/// Replaces a line (re-priced now: also how a changed price is accepted). Guests and customers
/// change only their own lines; the branch's staff any.
#[utoipa::path(put, path = "/api/carts/{id}/lines/{line_id}", tag = "carts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("line_id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^\"?[0-9]{1,9}\"?$", description = "the cart version seen")),
    request_body = LineRequest,
    responses((status = 200, body = CartDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_cart_line(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath((id, line_id)): ApiPath<(Uuid, Uuid)>,
    headers: HeaderMap,
    ValidJson(req): ValidJson<LineRequest>,
) -> Result<Json<CartDto>> {
    let expected = if_match(&headers)?;
    Ok(Json(
        super::replace_line(&state, &auth, id, line_id, expected, &req).await?,
    ))
}

/// Removes a line (the same rules as changing it).
#[utoipa::path(delete, path = "/api/carts/{id}/lines/{line_id}", tag = "carts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("line_id" = Uuid, Path), ("If-Match" = Option<String>, Header, pattern = "^\"?[0-9]{1,9}\"?$", description = "the cart version seen")),
    responses((status = 200, body = CartDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_cart_line(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath((id, line_id)): ApiPath<(Uuid, Uuid)>,
    headers: HeaderMap,
) -> Result<Json<CartDto>> {
    let expected = if_match(&headers)?;
    Ok(Json(
        super::remove_line(&state, &auth, id, line_id, expected).await?,
    ))
}

/// Places an order from the cart: all of it, the `lines` named, or the caller's own
/// (`mine`). Every line is checked against the menu now: sold out, hidden or not served now →
/// 409 `line_unavailable`; a selection no longer valid → 422 on `lines[<line id>]`; a changed
/// price → 409 `price_changed` with the new price; nothing is written then. Otherwise as
/// `POST /api/orders` (the same `Idempotency-Key` rules).
#[utoipa::path(post, path = "/api/carts/{id}/checkout", tag = "carts", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, pattern = "^[!-~]{8,200}$", description = "8 to 200 visible ASCII characters (a fresh UUID per order)")),
    request_body = CartCheckout,
    responses((status = 201, body = OrderDto), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn checkout_cart(
    State(state): State<AppState>,
    auth: Auth<policy::Authenticated>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response> {
    let key = platform::http::idempotency_key(&headers)?;
    let req: CartCheckout = if body.is_empty() {
        CartCheckout::default()
    } else {
        parse_json(&body)?
    };
    let hash = orders::request_hash_at(&auth, &format!("POST /api/carts/{id}/checkout"), &body);
    orders::routes::answered(super::checkout(&state, &auth, id, &key, &hash, req).await?)
}
