//! HTTP plumbing shared by all routers: request extractors that answer bad input with
//! problem+json, the middleware stack (request id, tracing, limits, timeouts, panics), fallbacks,
//! logging set-up and the shutdown signal.

use std::{net::IpAddr, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request},
    http::{HeaderMap, HeaderName, StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    config::LogFormat,
    error::{Error, Problem, problem_response},
    text,
};

/// Largest request body accepted (the extractors answer 413 problem+json above it).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A JSON body that is parsed and then validated with `garde`. A content type other than JSON →
/// 415, malformed JSON → 400, a control character in any string → 422 naming the field, a wrong
/// shape → 422 naming the problem, failed validation → 422 listing the fields.
pub struct ValidJson<T>(pub T);

/// `application/json` or any `application/*+json`, as axum's `Json` accepts.
fn has_content_type(headers: &HeaderMap, wanted: impl Fn(&str) -> bool) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| wanted(&essence.trim().to_ascii_lowercase()))
}

fn is_json(essence: &str) -> bool {
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if !has_content_type(req.headers(), is_json) {
            return Err(Error::UnsupportedMediaType);
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(Self)
    }
}

/// A JSON body that may be left out: no body at all (nothing but white space, and no content
/// type) is `None`, and so is `null` (how the OpenAPI document states an optional body);
/// anything else is read as [`ValidJson`] reads it.
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let typed = req.headers().contains_key(axum::http::header::CONTENT_TYPE);
        if typed && !has_content_type(req.headers(), is_json) {
            return Err(Error::UnsupportedMediaType);
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        if !typed && bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        if !typed {
            return Err(Error::UnsupportedMediaType);
        }
        parse_json::<Option<T>>(&bytes).map(Self)
    }
}

/// A raw request body (an image, a CSV file) under the route's body limit; over it → 413
/// problem+json rather than axum's plain-text answer.
pub struct RawBody(pub bytes::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        bytes::Bytes::from_request(req, state)
            .await
            .map(Self)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge
                } else {
                    Error::bad_request("unreadable_body", rejection.body_text())
                }
            })
    }
}

/// Path parameters; an unparsable id is a 400 problem, not axum's plain-text answer, and a
/// control character in one (only possible percent-encoded) is a 422 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        if parts.uri.path().contains('%') {
            let raw =
                axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                    .await
                    .map_err(|e| Error::bad_request("invalid_path", e.body_text()))?;
            let pairs = raw.0.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if let Some(field) = text::find_forbidden_pair(pairs, "path") {
                return Err(text::refused(field));
            }
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| Error::bad_request("invalid_path", e.body_text()))
    }
}

/// Query parameters, with the same treatment.
pub struct ApiQuery<T>(pub T);

/// Refuses a control character in the names or values of a query string or a form body.
fn check_form_text(bytes: &[u8], fallback: &str) -> Result<(), Error> {
    // A URI cannot hold a raw control character, so in a query only `%` can bring one in.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).unwrap_or_default();
    let pairs = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match text::find_forbidden_pair(pairs, fallback) {
        Some(field) => Err(text::refused(field)),
        None => Ok(()),
    }
}

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        if let Some(query) = parts.uri.query().filter(|q| q.contains('%')) {
            check_form_text(query.as_bytes(), "query")?;
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| Error::bad_request("invalid_query", e.body_text()))
    }
}

/// A form body (`application/x-www-form-urlencoded`), with the same answers as [`ValidJson`]
/// rather than axum's plain-text ones: another content type → 415, a control character → 422
/// naming the field, a missing or unparsable field → 422.
pub struct ApiForm<T>(pub T);

impl<S, T> FromRequest<S> for ApiForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if !has_content_type(req.headers(), |e| e == "application/x-www-form-urlencoded") {
            return Err(Error::UnsupportedMediaType);
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        check_form_text(&bytes, "body")?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Self)
            .map_err(|e| Error::invalid("body", e.to_string()))
    }
}

async fn not_found() -> Error {
    Error::NotFound
}

async fn method_not_allowed() -> Response {
    problem_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &Problem::for_status(StatusCode::METHOD_NOT_ALLOWED),
    )
}

/// Errors made by middleware (timeouts, for instance) come without a body, and the rejections of
/// axum's own extractors as plain text; give both the same problem+json shape as every other
/// error (the plain text becomes the detail). Responses that carry a body of another type of
/// their own are left alone.
async fn ensure_problem(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let plain = match res.headers().get(axum::http::header::CONTENT_TYPE) {
        None => false,
        Some(v) if v.as_bytes().starts_with(b"text/plain") => true,
        Some(_) => return res,
    };
    let (parts, body) = res.into_parts();
    let mut problem = Problem::for_status(status);
    if plain {
        problem.detail = axum::body::to_bytes(body, 4096)
            .await
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .filter(|d| !d.is_empty());
    }
    let mut fresh = problem_response(status, &problem);
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_LENGTH && name != axum::http::header::CONTENT_TYPE {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// Parses and validates a JSON body already read as bytes (signed requests, and [`ValidJson`]):
/// malformed → 400, a control character in any string or key → 422 naming the field, wrong shape
/// or invalid → 422.
pub fn parse_json<T>(bytes: &[u8]) -> Result<T, Error>
where
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    let value: T = read_json(bytes)?;
    value.validate()?;
    Ok(value)
}

/// [`parse_json`] for a body with no `garde` rules of its own (a menu document checks itself).
pub fn read_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    // Only bytes that may hold a control character pay for a tree and a walk of it; for the
    // others the byte scan is the whole cost.
    if text::may_hold_forbidden(bytes)
        && let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = text::find_forbidden(&tree)
    {
        return Err(text::refused(&field));
    }
    let parsed = serde_json::from_slice(bytes).or_else(|e| {
        // JSON has one number type: `4.0` is the integer 4 to JSON Schema (and to the OpenAPI
        // document's `integer`), but serde refuses it for an integer field. Only a body refused
        // for a float pays for the second reading.
        if e.is_data() && e.to_string().contains("floating point") {
            let mut tree: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| e)?;
            integral_floats_to_integers(&mut tree);
            serde_json::from_value(tree)
        } else {
            Err(e)
        }
    });
    parsed.map_err(|e| {
        if e.is_data() {
            Error::Validation {
                fields: [("body".to_string(), vec![e.to_string()])].into(),
            }
        } else {
            Error::bad_request("malformed_json", e.to_string())
        }
    })
}

/// Turns every number with no fractional part (`4.0`, `1e3`) into the integer it is.
fn integral_floats_to_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^63 an integral f64 converts exactly.
            if f.fract() == 0.0 && f.abs() < 9.2e18 {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    Error::Internal(anyhow::anyhow!("panic")).into_response()
}

/// Wraps the API router with the shared middleware. Innermost first: body limit, timeout,
/// panic guard, tracing span (with the request id), then the id is set and echoed back.
pub fn with_middleware(router: Router) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::map_response(ensure_problem))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Logs to stderr as text or JSON; `RUST_LOG` overrides the default filter.
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}

/// The client's address. It is the peer the listener saw unless that peer is one of the
/// `trusted_proxies`: then the forwarding headers are read from the right (the hop nearest to
/// us) and the first address that is not a trusted proxy is the client. Entries further left
/// could have been written by the client itself, so they are never believed. "unknown" when
/// served without connect info.
pub struct ClientIp(pub String);

/// See [`ClientIp`]. `X-Forwarded-For` is read when present (what nginx appends to), else
/// `Forwarded` (RFC 7239); a proxy should set the one it uses and drop the other. An entry that
/// is not an address (`unknown`, an obfuscated name) ends the walk at the hop that wrote it.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// The forwarded-for chain, client first: every `X-Forwarded-For` header in order, or every
/// `for=` of the `Forwarded` headers when there is none.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or(""))
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let xff = values("x-forwarded-for");
    if !xff.is_empty() {
        return xff.into_iter().map(parse_node).collect();
    }
    values("forwarded")
        .into_iter()
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, node)| parse_node(node))
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"` or `2001:db8::1` → the address.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(ip, _)| ip.parse().ok())
        })
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` header of a write that must not happen twice (an order, a card
/// payment): required, 8 to 200 visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, Error> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| {
            Error::bad_request(
                "idempotency_key_required",
                "send an Idempotency-Key header (a fresh UUID per order) so a retry cannot order twice",
            )
        })?
        .to_str()
        .map_err(|_| Error::invalid("Idempotency-Key", "must be visible ASCII"))?;
    if !(8..=200).contains(&key.len()) {
        return Err(Error::invalid(
            "Idempotency-Key",
            "must be 8 to 200 characters",
        ));
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted: Vec<ipnet::IpNet> = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        // An untrusted peer is the client, whatever it claims.
        assert_eq!(
            client_ip(ip("198.51.100.7"), &spoofed, &trusted),
            ip("198.51.100.7")
        );
        // No proxies configured: nothing is believed.
        assert_eq!(client_ip(ip("127.0.0.1"), &spoofed, &[]), ip("127.0.0.1"));
        // From the proxy: the right-most address that is not a proxy; the client's own
        // (forged) entries to its left are ignored.
        let chain = headers(&[
            ("x-forwarded-for", "1.1.1.1, 198.51.100.7"),
            ("x-forwarded-for", "10.0.0.5"),
        ]);
        assert_eq!(
            client_ip(ip("127.0.0.1"), &chain, &trusted),
            ip("198.51.100.7")
        );
        // Only proxies in the chain: the left-most of them.
        let inner = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.5")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &inner, &trusted), ip("10.0.0.9"));
        // Garbage stops the walk at the hop that wrote it.
        let junk = headers(&[("x-forwarded-for", "1.1.1.1, nonsense, 10.0.0.5")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &junk, &trusted), ip("10.0.0.5"));
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
        // RFC 7239, with ports, quotes and IPv6.
        let fwd = headers(&[(
            "forwarded",
            r#"for=192.0.2.60;proto=http, For="[2001:db8:cafe::17]:4711";by=10.0.0.1"#,
        )]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &fwd, &trusted),
            ip("2001:db8:cafe::17")
        );
        let fwd = headers(&[("forwarded", "for=192.0.2.43:47011")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &fwd, &trusted), ip("192.0.2.43"));
    }

    #[tokio::test]
    async fn bare_error_responses_become_problems() {
        let bare = (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "5")]).into_response();
        let res = ensure_problem(bare).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert_eq!(res.headers()["retry-after"], "5");
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "service_unavailable");
        assert_eq!(v["status"], 503);

        // A rejection of axum's own, in plain text: a problem, its text the detail.
        let plain = (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize form body",
        )
            .into_response();
        let res = ensure_problem(plain).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["detail"], "Failed to deserialize form body");

        let ok = ensure_problem(StatusCode::OK.into_response()).await;
        assert!(ok.headers().get("content-type").is_none());

        // A JSON error body of a handler's own (the health check's 503) is kept.
        let own = (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "degraded"})),
        )
            .into_response();
        let res = ensure_problem(own).await;
        assert_eq!(res.headers()["content-type"], "application/json");
    }
}
