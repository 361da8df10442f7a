//! Security headers on every answer of the port, API and web app alike.
//!
//! The pages' Content-Security-Policy is the web app's own (Astro computes it per page, with
//! the hashes of the inline scripts it emits, which only it knows); here a page that comes
//! without one (a 503 while the app is down, a redirect) gets a policy that still forbids
//! framing and plugins. The API answers JSON, never a document to render, so its policy allows
//! nothing at all — except its few HTML pages: the printable receipt and kitchen ticket and
//! the payment simulator's page (their own inline styles, no script), and the reference page
//! at `/api/docs`, which loads its own scripts, styles and the spec.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// JSON and files: nothing may load, nothing may frame them.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// The interactive API reference: Swagger UI's bundle and stylesheet (it also styles elements
/// inline and draws icons from data: URLs) and the spec, all from this origin.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The API's printable pages (styled inline, printed from a frame of the app) and the payment
/// simulator's page (a form posting back to the API): no script at all.
pub const API_HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'self'";
/// A page that brought no policy of its own.
pub const PAGE_FALLBACK_CSP: &str = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'";

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

fn policy_for(path: &str, html: bool) -> &'static str {
    if path == "/api/docs" || path == "/api/docs/" {
        DOCS_CSP
    } else if is_api(path) && html {
        API_HTML_CSP
    } else if is_api(path) {
        API_CSP
    } else {
        PAGE_FALLBACK_CSP
    }
}

/// Outermost layer: adds the headers unless the answer set them itself.
pub async fn add(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let policy = policy_for(&path, html);
    let h = res.headers_mut();
    let defaults: [(HeaderName, &'static str); 4] = [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Paths carry secrets of a kind (a table's QR token): other sites never see them.
        (header::REFERRER_POLICY, "same-origin"),
        // For browsers that predate `frame-ancestors`.
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in defaults {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_gets_its_policy() {
        assert_eq!(policy_for("/api/orders", false), API_CSP);
        assert_eq!(policy_for("/api/orders/1/receipt.html", true), API_HTML_CSP);
        assert_eq!(policy_for("/api/docs", true), DOCS_CSP);
        assert_eq!(
            policy_for("/api/docs/assets/swagger-ui.css", false),
            API_CSP
        );
        assert_eq!(policy_for("/en/menu", true), PAGE_FALLBACK_CSP);
        assert_eq!(policy_for("/apis", true), PAGE_FALLBACK_CSP);
    }
}
