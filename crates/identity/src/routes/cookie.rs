//! The refresh token as an httpOnly cookie, for browsers. A request to one of the sign-in,
//! refresh or logout routes that carries `X-Sous-Session: <slot>` gets its refresh token as the
//! cookie `sous_refresh_<slot>` (HttpOnly, SameSite=Strict, Path=/api/auth, Secure unless the
//! page is on a loopback host), and the answer's body leaves the refresh token out, so scripts
//! on the page never see it. Refresh and logout then read the token from that cookie when the
//! body carries none. Without the header nothing changes: other clients keep the token in the
//! JSON body.
//!
//! The slot names which session of the browser it is (a guest, a customer and a kitchen screen
//! can live side by side). The custom header is also the CSRF guard: a cross-site page cannot
//! send it without a CORS preflight, which the API never grants, and SameSite=Strict keeps the
//! cookie off cross-site requests in the first place.
//!
//! This is transport only, a layer around the handlers: what a token means stays theirs.

use std::sync::LazyLock;

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use cookie::{Cookie, SameSite, time::Duration};
use platform::error::Error;

use crate::{model::TokenPair, tokens::REFRESH_TTL_DAYS};

/// The request header that selects the cookie transport and names the session.
pub const SESSION_HEADER: &str = "x-sous-session";
/// The sessions a browser may hold at once.
pub const SLOTS: [&str; 4] = ["guest", "customer", "kds", "pos"];
/// Where the cookie is sent: the refresh and logout routes only, never with other API calls.
pub const COOKIE_PATH: &str = "/api/auth";
/// Bodies of the sign-in and refresh routes are small; more is not one of them.
const MAX_BODY: usize = 64 * 1024;

/// The JSON name of the refresh token, taken from the API's own type so the transport follows
/// its casing.
static FIELD: LazyLock<String> = LazyLock::new(|| {
    const MARK: &str = "\u{1}refresh\u{1}";
    let probe = serde_json::to_value(TokenPair {
        access_token: String::new(),
        refresh_token: MARK.into(),
        expires_in: 0,
        token_type: String::new(),
    })
    .expect("TokenPair serialises");
    probe
        .as_object()
        .and_then(|o| o.iter().find(|(_, v)| v.as_str() == Some(MARK)))
        .map(|(k, _)| k.clone())
        .expect("TokenPair has a refresh token")
});

pub fn cookie_name(slot: &str) -> String {
    format!("sous_refresh_{slot}")
}

/// Loopback pages (`make run`, the tests) are plain http, where a Secure cookie would not be
/// kept; everywhere else the site is served over TLS and the cookie must never travel without it.
fn loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn set_cookie(slot: &str, value: &str, secure: bool, max_age: Duration) -> HeaderValue {
    let c = Cookie::build((cookie_name(slot), value.to_owned()))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&c.to_string()).expect("a cookie is a valid header value")
}

fn read_cookie(headers: &HeaderMap, slot: &str) -> Option<String> {
    let name = cookie_name(slot);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(|c| c.ok())
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

fn bad_slot() -> Response {
    Error::Validation {
        fields: [(
            SESSION_HEADER.to_string(),
            vec![format!("must be one of {}", SLOTS.join(", "))],
        )]
        .into(),
    }
    .into_response()
}

/// Adds the `X-Sous-Session` header to every operation of the layered routes.
pub fn document(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        Required,
        path::{ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
    };
    let parameter = ParameterBuilder::new()
        .name("X-Sous-Session")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Browsers: keep the refresh token in the httpOnly cookie `sous_refresh_<slot>` \
             (path /api/auth) instead of the body. Refresh and logout then read it from the cookie.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(SLOTS)),
        ))
        .build();
    for item in openapi.paths.paths.values_mut() {
        for op in [&mut item.post, &mut item.get].into_iter().flatten() {
            op.parameters
                .get_or_insert_with(Vec::new)
                .push(parameter.clone());
        }
    }
}

/// The layer: see the module's documentation.
pub async fn transport(req: Request, next: Next) -> Response {
    let Some(slot) = req.headers().get(SESSION_HEADER) else {
        return next.run(req).await;
    };
    let Some(slot) = SLOTS
        .iter()
        .copied()
        .find(|s| slot.as_bytes() == s.as_bytes())
    else {
        return bad_slot();
    };
    let secure = !loopback(req.headers());
    let path = req.uri().path();
    let (refresh, logout) = (path == "/api/auth/refresh", path == "/api/auth/logout");
    let req = if refresh || logout {
        match with_cookie_token(req, slot).await {
            Ok(req) => req,
            Err(res) => return res,
        }
    } else {
        req
    };
    let res = next.run(req).await;
    let clear = set_cookie(slot, "", secure, Duration::ZERO);
    if logout || (refresh && res.status() == StatusCode::UNAUTHORIZED) {
        // The session is over (or the cookie was dead): the browser forgets it.
        let mut res = res;
        res.headers_mut().append(header::SET_COOKIE, clear);
        return res;
    }
    if res.status().is_success() {
        return into_cookie(res, slot, secure).await;
    }
    res
}

/// Refresh and logout in cookie mode: the token comes from the cookie unless the body has one
/// (a client adopting a token it was given in a body, e.g. by joining a table). With neither,
/// refresh is 401 (no session to recover) and logout has nothing to end.
async fn with_cookie_token(req: Request, slot: &str) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Error::PayloadTooLarge.into_response())?;
    let mut value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::json!({})
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::bad_request("malformed_json", e.to_string()).into_response())?
    };
    // The body, when there is one, is the refresh request: an object, or `null` as no body
    // (anything else would otherwise pass for "no token in the body").
    if value.is_null() {
        value = serde_json::json!({});
    }
    if !value.is_object() {
        return Err(Error::invalid("body", "must be a JSON object").into_response());
    }
    let has_token = value.get(FIELD.as_str()).is_some();
    if !has_token {
        let Some(token) = read_cookie(&parts.headers, slot) else {
            let mut res = if parts.uri.path() == "/api/auth/logout" {
                StatusCode::NO_CONTENT.into_response()
            } else {
                Error::Unauthorized("invalid_refresh_token").into_response()
            };
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(slot, "", !loopback(&parts.headers), Duration::ZERO),
            );
            return Err(res);
        };
        if let Some(o) = value.as_object_mut() {
            o.insert(FIELD.clone(), token.into());
        }
    }
    let body = serde_json::to_vec(&value).expect("JSON serialises");
    let mut parts = parts;
    // The content type stays the caller's: a body that is not JSON is still refused (415).
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// A successful answer with a token pair: the refresh token moves from the body to the cookie.
async fn into_cookie(res: Response, slot: &str, secure: bool) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    let token = value
        .as_object_mut()
        .and_then(|o| o.remove(FIELD.as_str()))
        .and_then(|v| v.as_str().map(str::to_owned));
    let Some(token) = token else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.append(
        header::SET_COOKIE,
        set_cookie(slot, &token, secure, Duration::days(REFRESH_TTL_DAYS)),
    );
    let body = serde_json::to_vec(&value).expect("JSON serialises");
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_the_token_pairs_own() {
        assert!(FIELD.to_lowercase().starts_with("refresh"));
    }

    #[test]
    fn loopback_hosts_only() {
        let host = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            loopback(&m)
        };
        assert!(host("127.0.0.1:8080"));
        assert!(host("localhost"));
        assert!(host("[::1]:8080"));
        assert!(!host("shop.example"));
        assert!(!host("192.168.1.5:8080"));
        assert!(!host("localhost.example.com"));
        assert!(!loopback(&HeaderMap::new()));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut m = HeaderMap::new();
        m.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; sous_refresh_guest=g; sous_refresh_customer=c"),
        );
        assert_eq!(read_cookie(&m, "customer").as_deref(), Some("c"));
        assert_eq!(read_cookie(&m, "guest").as_deref(), Some("g"));
        assert_eq!(read_cookie(&m, "kds"), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped() {
        let v = set_cookie("customer", "tok", true, Duration::days(1));
        let s = v.to_str().unwrap();
        for part in [
            "sous_refresh_customer=tok",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/api/auth",
            "Max-Age=86400",
        ] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        let plain = set_cookie("customer", "tok", false, Duration::days(1));
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}
