//! What the API tests share: [`TestApp`] (the server on a database of its own, and calls to it)
//! here, and in `helpers/` the fixtures, the named endpoints, the floor, sign-ins, the event
//! stream reader, the time clock's calls and the real `sous serve` processes. Test files import all of it from
//! `crate::helpers`.

mod endpoints;
mod fixtures;
mod floor;
mod processes;
mod sign_in;
mod sse;
mod tasks;
mod time_clock;

use std::net::SocketAddr;

use platform::{AppState, config::Settings, db::Db, testing::TestDb};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub use endpoints::*;
pub use fixtures::*;
pub use floor::placed_table;
pub use processes::{ExternalSous, SousProcess};
pub use sign_in::*;
pub use sse::*;
pub use time_clock::*;

pub const JWT_KEYS: &str = "test:0123456789abcdef0123456789abcdef";
pub const PASSWORD: &str = identity::seed::DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub demo: identity::seed::Demo,
    pub db: TestDb,
}

/// A response, decoded.
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }
}

/// A fresh idempotency key, so that no call is taken for a retry of another.
pub fn key() -> String {
    Uuid::now_v7().to_string()
}

/// A JSON number that must be whole, such as an amount in halalas.
pub fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn settings() -> Settings {
    let mut s = Settings {
        jwt_keys: Some(JWT_KEYS.into()),
        pin_pepper: Some("test-pepper".into()),
        data_dir: std::env::temp_dir(),
        ..Settings::default()
    };
    // Every test signs in from 127.0.0.1, as many people as it needs; the per-address limit has
    // its own test.
    s.rate_limits.login_per_ip_per_minute = 1_000;
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(settings()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    spawn_app_on(TestDb::new().await, settings).await
}

/// The app on a database the test prepared itself (e.g. one migrated in two steps, with rows
/// written in between); it must be fully migrated and hold no demo brand yet.
pub async fn spawn_app_on(db: TestDb, settings: Settings) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        platform::http::init_tracing(settings.log_format);
    }
    let pool = Db::connect_with(db.app_options(), 5)
        .await
        .expect("app pool");
    let state = AppState::new(pool, settings).expect("state");
    let demo = identity::seed::run(&state)
        .await
        .expect("seed")
        .expect("fresh database");
    catalog::seed::run(&state, demo.tenant_id, demo.dubai)
        .await
        .expect("demo menu");
    ordering::seed::run(&state, demo.tenant_id, demo.riyadh, demo.dubai)
        .await
        .expect("demo tables");
    fulfillment::seed::run(&state, demo.tenant_id, &[demo.riyadh, demo.dubai])
        .await
        .expect("demo stations");
    // The demo branches keep real opening hours, and guests' orders are refused while a
    // branch is closed: the tests open every branch around the clock (no hours set), so they
    // do not depend on the time of day they run at. Tests of the hours set their own.
    sqlx::query("update branches set opening_hours = '{}'")
        .execute(&mut db.owner_conn().await)
        .await
        .expect("branches open around the clock");
    let base = serve(&state, db.owner_options()).await;
    TestApp {
        base,
        client: reqwest::Client::new(),
        state,
        demo,
        db,
    }
}

/// Serves `state` on a loopback port the way `sous serve` does — with its event listener and
/// the memory cache following it — and returns the base URL.
pub async fn serve(state: &AppState, owner: sqlx::postgres::PgConnectOptions) -> String {
    let events = platform::events::listener::Listener::new(owner, state.bus.clone())
        .await
        .expect("event listener");
    tokio::spawn(events.run(state.shutdown.clone()));
    tokio::spawn(
        state
            .public_cache
            .clone()
            .follow(state.bus.clone(), state.shutdown.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = sous::app::build(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

impl TestApp {
    /// A second server on the same database whose pool holds at most `size` connections: shows
    /// a request that would wait on a connection it already holds.
    pub async fn serve_with_pool(&self, size: u32) -> String {
        let pool = Db::connect_with(self.db.app_options(), size)
            .await
            .expect("small pool");
        let state = AppState::new(pool, settings()).expect("state");
        serve(&state, self.db.owner_options()).await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        self.call_at(&self.base, method, path, token, body).await
    }

    /// [`Self::call`] against the server at `base` (one of [`Self::serve_with_pool`]).
    pub async fn call_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut req = self.client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::answer(req.send().await.expect("request"), path).await
    }

    /// [`Self::call`] with extra request headers (a manager's PIN, a precondition).
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::answer(req.send().await.expect("request"), path).await
    }

    /// A request with a body of any type (`content_type` None sends none), to see what the
    /// extractors answer to bodies a route does not take.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Res {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Self::answer(req.send().await.expect("request"), path).await
    }

    /// The answer as a [`Res`], checking what every answer must have.
    async fn answer(res: reqwest::Response, path: &str) -> Res {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if (status.is_client_error() || status.is_server_error()) && path != "/api/health" {
            assert_eq!(
                headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/problem+json"),
                "errors are problem+json: {status} {body}"
            );
        }
        assert!(
            headers.contains_key("x-request-id"),
            "every response has a request id"
        );
        Res {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }
}

/// The body of `POST /api/tenants` for brand `slug` (owner `owner@<slug>.test`).
pub fn sign_up_body(slug: &str) -> Value {
    json!({ "name": format!("Brand {slug}"), "slug": slug,
            "ownerEmail": format!("owner@{slug}.test"), "ownerPassword": "correct-horse-battery" })
}

pub fn branch_body(name: &str) -> Value {
    json!({ "name": name, "timeZone": "Asia/Riyadh", "openingHours": { "mon": [["09:00", "17:00"]] } })
}

/// Decodes a JWT's payload without verifying it (the server already did).
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// The OpenAPI document as served (`/api/openapi.json`), without a server or a database.
pub fn openapi() -> Value {
    serde_json::to_value(sous::app::api().1).expect("the document serialises")
}

/// Every operation of an OpenAPI document: (method, path, operation).
pub fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut ops = vec![];
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                ops.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    ops
}
