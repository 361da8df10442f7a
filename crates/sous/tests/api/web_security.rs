//! What browsers get: security headers on every answer, and the refresh token as an httpOnly
//! cookie for pages that ask for it (`X-Sous-Session`).

use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, HOST, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// A request of a page's script in cookie mode, with the cookie the browser would send.
async fn cookie_call(
    app: &TestApp,
    path: &str,
    slot: &str,
    cookie: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .header("x-sous-session", slot)
        .json(&body);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.unwrap()
}

/// The `name=value` of the Set-Cookie for `name`, and the whole header.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| (v.split(';').next().unwrap().to_string(), v.to_string()))
}

#[tokio::test]
async fn api_answers_forbid_rendering_framing_and_sniffing() {
    let app = spawn_app().await;
    for path in ["/api/health", "/api/openapi.json", "/api/nothing-here"] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let h = res.headers();
        assert_eq!(
            h[CONTENT_SECURITY_POLICY], "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }

    // The reference page loads its scripts from files only: no inline script, none allowed.
    let docs = app
        .client
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    let csp = docs.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = docs.text().await.unwrap();
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count()
    );
    let init = app
        .client
        .get(format!("{}/api/docs/init.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("SwaggerUIBundle"));

    // A page answered by sous itself (no web app here) still may not be framed.
    let page = app
        .client
        .get(format!("{}/en/", app.base))
        .send()
        .await
        .unwrap();
    let csp = page.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_browser_session_keeps_its_refresh_token_in_an_http_only_cookie() {
    let app = spawn_app().await;
    let login =
        json!({ "email": identity::seed::DEMO_CUSTOMER, "password": PASSWORD, "tenant": "demo" });
    let res = cookie_call(&app, "/api/auth/login", "customer", None, login.clone()).await;
    assert_eq!(res.status(), 200);
    let (first, header) = set_cookie(&res, "sous_refresh_customer").expect("cookie set");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/auth", "Max-Age="] {
        assert!(header.contains(attr), "{header} lacks {attr}");
    }
    // Loopback http: a Secure cookie would not be kept.
    assert!(!header.contains("Secure"), "{header}");
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("refreshToken").is_none(),
        "the page never sees it: {body}"
    );
    let access = body["accessToken"].as_str().unwrap();
    app.get("/api/me", access).await.expect(200);

    // A reload: the page recovers its session with the cookie alone.
    let res = cookie_call(
        &app,
        "/api/auth/refresh",
        "customer",
        Some(&first),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let (second, _) = set_cookie(&res, "sous_refresh_customer").expect("rotated");
    assert_ne!(first, second);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refreshToken").is_none(), "{body}");
    app.get("/api/me", body["accessToken"].as_str().unwrap())
        .await
        .expect(200);

    // Another session of the browser (a guest) is a cookie of its own and is not read.
    let res = cookie_call(&app, "/api/auth/refresh", "guest", Some(&second), json!({})).await;
    assert_eq!(res.status(), 401);
    // A till in the same browser keeps its staff session in a slot of its own.
    let staff =
        json!({ "email": "manager@demo.sous.test", "password": PASSWORD, "tenant": "demo" });
    let res = cookie_call(&app, "/api/auth/login", "pos", None, staff).await;
    assert_eq!(res.status(), 200);
    assert!(
        set_cookie(&res, "sous_refresh_pos").is_some(),
        "the till's own cookie"
    );

    // Logout ends the family and clears the cookie; the cookie no longer refreshes.
    let res = cookie_call(
        &app,
        "/api/auth/logout",
        "customer",
        Some(&second),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 204);
    let (cleared, header) = set_cookie(&res, "sous_refresh_customer").expect("cleared");
    assert_eq!(cleared, "sous_refresh_customer=");
    assert!(header.contains("Max-Age=0"), "{header}");
    let res = cookie_call(
        &app,
        "/api/auth/refresh",
        "customer",
        Some(&second),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 401);
    assert!(
        set_cookie(&res, "sous_refresh_customer").is_some(),
        "a dead cookie is cleared"
    );
}

#[tokio::test]
async fn cookie_mode_needs_its_header_json_and_a_known_slot() {
    let app = spawn_app().await;
    let login =
        json!({ "email": identity::seed::DEMO_CUSTOMER, "password": PASSWORD, "tenant": "demo" });

    // Without the header nothing changes: the token is in the body, no cookie.
    let res = app
        .client
        .post(format!("{}/api/auth/login", app.base))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(SET_COOKIE).is_none());
    let pair: Value = res.json().await.unwrap();
    let body_token = pair["refreshToken"].as_str().unwrap().to_string();

    // A cookie without the header (what a cross-site form would send) is not read: the
    // request has no token.
    let res = app
        .client
        .post(format!("{}/api/auth/refresh", app.base))
        .header(COOKIE, format!("sous_refresh_customer={body_token}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Nor with a body that is not JSON.
    let res = app
        .client
        .post(format!("{}/api/auth/refresh", app.base))
        .header("x-sous-session", "customer")
        .header(COOKIE, format!("sous_refresh_customer={body_token}"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);

    // A token given in a body (a table join's guest session) is adopted into the cookie.
    let res = cookie_call(
        &app,
        "/api/auth/refresh",
        "customer",
        None,
        json!({ "refreshToken": body_token }),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(set_cookie(&res, "sous_refresh_customer").is_some());

    // No cookie: nothing to recover.
    let res = cookie_call(&app, "/api/auth/refresh", "kds", None, json!({})).await;
    assert_eq!(res.status(), 401);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_refresh_token");

    let res = cookie_call(&app, "/api/auth/login", "admin", None, login.clone()).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["errors"]["x-sous-session"].is_array(), "{problem}");

    // Served under a real host name (behind TLS), the cookie is Secure.
    let res = app
        .client
        .post(format!("{}/api/auth/login", app.base))
        .header(HOST, "shop.example")
        .header("x-sous-session", "customer")
        .json(&login)
        .send()
        .await
        .unwrap();
    let (_, header) = set_cookie(&res, "sous_refresh_customer").unwrap();
    assert!(header.contains("Secure"), "{header}");
}

#[tokio::test]
async fn guest_sessions_use_the_cookie_too() {
    let app = spawn_app().await;
    let res = cookie_call(
        &app,
        "/api/auth/guest",
        "guest",
        None,
        json!({ "tenant": "demo", "branchId": app.demo.riyadh }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let (cookie, _) = set_cookie(&res, "sous_refresh_guest").expect("cookie");
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refreshToken").is_none(), "{body}");
    let res = cookie_call(&app, "/api/auth/refresh", "guest", Some(&cookie), json!({})).await;
    assert_eq!(res.status(), 200);
}
