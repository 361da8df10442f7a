use std::net::SocketAddr;

use platform::{
    AppState,
    auth::{Role, signing},
    config::Settings,
    db::Db,
    testing::TestDb,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

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

    pub async fn login_as(&self, email: &str) -> Value {
        self.post(
            "/api/auth/login",
            None,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
        .expect(200)
    }

    /// An access token for a demo staff member or the demo customer (an account of the demo
    /// brand, so its sign-in names the brand).
    pub async fn token(&self, role: Role) -> String {
        let pair = match role {
            Role::Customer => self
                .post(
                    "/api/auth/login",
                    None,
                    json!({ "email": identity::seed::DEMO_CUSTOMER, "password": PASSWORD,
                            "tenant": "demo" }),
                )
                .await
                .expect(200),
            r => self.login_as(&identity::seed::demo_email(r)).await,
        };
        pair["accessToken"].as_str().unwrap().to_string()
    }

    /// A guest who scanned the QR code of a table of `branch` (`T1` where there is one): their
    /// session orders dine-in at that table.
    pub async fn guest_token(&self, branch: Uuid) -> String {
        let token: String = sqlx::query_scalar(
            "select qr_token from dining_tables where branch_id = $1 and archived_at is null \
             order by label = 'T1' desc, label limit 1",
        )
        .bind(branch)
        .fetch_one(&mut self.db.owner_conn().await)
        .await
        .expect("a table at the branch");
        self.post(&format!("/api/tables/{token}/join"), None, json!({}))
            .await
            .expect(200)["session"]["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A guest on the brand's website (no table: pickup or delivery).
    pub async fn website_guest_token(&self, branch: Uuid) -> String {
        self.post(
            "/api/auth/guest",
            None,
            json!({ "tenant": "demo", "branchId": branch }),
        )
        .await
        .expect(201)["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs up a customer of the demo brand; returns their access token.
    pub async fn new_customer(&self, email: &str) -> String {
        self.post(
            "/api/auth/customers",
            None,
            json!({ "tenant": "demo", "email": email, "password": PASSWORD,
                    "displayName": "A Customer" }),
        )
        .await
        .expect(201)["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs up another brand (`slug`) with one branch; returns (owner token, tenant id, branch id).
    pub async fn other_tenant(&self, slug: &str) -> (String, Uuid, Uuid) {
        let created = self
            .post("/api/tenants", None, sign_up_body(slug))
            .await
            .expect(201);
        let token = created["tokens"]["accessToken"]
            .as_str()
            .unwrap()
            .to_string();
        let tenant = created["tenant"]["id"].as_str().unwrap().parse().unwrap();
        let branch = self
            .post("/api/branches", Some(&token), branch_body("Other branch"))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (token, tenant, branch)
    }

    /// Registers a device at `branch` as the demo owner; returns (device id, secret bytes).
    pub async fn device(&self, branch: Uuid, kind: &str) -> (Uuid, Vec<u8>) {
        use base64::Engine;
        let owner = self.token(Role::Owner).await;
        let body = self
            .post(
                &format!("/api/branches/{branch}/devices"),
                Some(&owner),
                json!({ "kind": kind, "name": "Till 1" }),
            )
            .await
            .expect(201);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body["secret"].as_str().unwrap())
            .unwrap();
        (
            body["device"]["id"].as_str().unwrap().parse().unwrap(),
            secret,
        )
    }

    /// The user id of a demo account.
    pub async fn user_id(&self, email: &str) -> Uuid {
        sqlx::query_scalar("select id from users where email = $1")
            .bind(email)
            .fetch_one(&mut self.db.owner_conn().await)
            .await
            .expect("demo user")
    }

    /// The demo staff member whose PIN is `pin` (the demo PINs differ); for any other PIN, the
    /// Riyadh cashier (a wrong guess at their PIN).
    pub async fn demo_pin_user(&self, pin: &str) -> Uuid {
        let email = identity::seed::DEMO_STAFF
            .iter()
            .find(|(_, p)| *p == pin)
            .map(|(role, _)| identity::seed::demo_email(*role))
            .or_else(|| {
                (identity::seed::DEMO_DUBAI_DRIVER.1 == pin)
                    .then(|| identity::seed::DEMO_DUBAI_DRIVER.0.to_string())
            })
            .unwrap_or_else(|| identity::seed::demo_email(Role::Cashier));
        self.user_id(&email).await
    }

    /// A PIN login on `device`, signed now, as the demo member `pin` belongs to (see
    /// [`Self::demo_pin_user`]).
    pub async fn pin(&self, device: Uuid, secret: &[u8], pin: &str) -> Res {
        let user = self.demo_pin_user(pin).await;
        self.pin_as(device, secret, user, pin).await
    }

    /// A PIN login on `device` as the member picked on its tile screen.
    pub async fn pin_as(&self, device: Uuid, secret: &[u8], user: Uuid, pin: &str) -> Res {
        self.signed_post(
            device,
            secret,
            "/api/auth/pin",
            &json!({ "userId": user, "pin": pin }),
            None,
        )
        .await
    }

    /// The staff tiles of `device`'s sign-in screen (a signed GET).
    pub async fn tiles(&self, device: Uuid, secret: &[u8]) -> Res {
        let path = "/api/auth/pin/staff";
        let ts = chrono::Utc::now().timestamp();
        let nonce = Uuid::new_v4().simple().to_string();
        let sig = signing::Request {
            method: "GET",
            path_and_query: path,
            timestamp: ts,
            nonce: &nonce,
            body: b"",
        }
        .sign(secret);
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header(signing::DEVICE_HEADER, device.to_string())
            .header(signing::TIMESTAMP_HEADER, ts.to_string())
            .header(signing::SIGNATURE_HEADER, sig)
            .header(signing::NONCE_HEADER, nonce)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
        }
    }

    /// Sends a device-signed POST; `timestamp` defaults to now.
    pub async fn signed_post(
        &self,
        device: Uuid,
        secret: &[u8],
        path: &str,
        body: &Value,
        timestamp: Option<i64>,
    ) -> Res {
        let bytes = serde_json::to_vec(body).unwrap();
        let ts = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp());
        let nonce = Uuid::new_v4().simple().to_string();
        let sig = sign(secret, path, ts, &nonce, &bytes);
        self.signed_raw(device, path, bytes, ts, &nonce, &sig).await
    }

    pub async fn signed_raw(
        &self,
        device: Uuid,
        path: &str,
        bytes: Vec<u8>,
        ts: i64,
        nonce: &str,
        sig: &str,
    ) -> Res {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header(signing::DEVICE_HEADER, device.to_string())
            .header(signing::TIMESTAMP_HEADER, ts.to_string())
            .header(signing::SIGNATURE_HEADER, sig)
            .header(signing::NONCE_HEADER, nonce)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
        }
    }
}

/// A device signature of a POST.
pub fn sign(secret: &[u8], path: &str, ts: i64, nonce: &str, body: &[u8]) -> String {
    signing::Request {
        method: "POST",
        path_and_query: path,
        timestamp: ts,
        nonce,
        body,
    }
    .sign(secret)
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

/// A real `sous serve` process (the built binary), with its own embedded PostgreSQL in a
/// temporary data dir, serving the API only on a free loopback port. Its stdout is collected;
/// its log goes to `sous.log` in the data dir.
pub struct SousProcess {
    pub child: std::process::Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl SousProcess {
    /// Starts `sous serve --no-web` with `env` on top of the test settings, and waits (bounded)
    /// until `/api/health` answers 200.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("sous-serve-test")
            .tempdir_in("/tmp")
            .unwrap();
        // As root the server runs as `postgres`, which must be able to enter the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("sous.log")).unwrap();
        // `SOUS_BIN` runs another build (the one before a change, to see a test fail there).
        let bin = std::env::var("SOUS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sous").into());
        let mut command = std::process::Command::new(bin);
        command
            .args(["serve", "--no-web"])
            .env_remove("SOUS_DATABASE_URL")
            .env("SOUS_CONFIG", dir.path().join("none.toml"))
            .env("SOUS_LISTEN", format!("127.0.0.1:{port}"))
            .env("SOUS_DATA_DIR", dir.path())
            .env("SOUS_JWT_KEYS", JWT_KEYS)
            .env("SOUS_PIN_PEPPER", "test-pepper")
            .env("SOUS_SEED_DEMO", "false")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(std::process::Stdio::piped())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let pipe = child.stdout.take().unwrap();
        let sink = stdout.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut out = sink.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
        let sous = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap(),
            stdout,
        };
        assert!(
            sous.wait_healthy(std::time::Duration::from_secs(90)).await,
            "sous serve answered /api/health with 200; its log:\n{}",
            sous.log()
        );
        sous
    }

    /// Polls `/api/health` until it answers 200; false after `limit`.
    pub async fn wait_healthy(&self, limit: std::time::Duration) -> bool {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            let health = self
                .client
                .get(format!("{}/api/health", self.base))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sous.log")).unwrap_or_default()
    }

    /// The embedded postmaster's pid, from its `postmaster.pid`, if that process is a live
    /// postgres serving this data dir.
    pub fn postmaster_pid(&self) -> Option<i32> {
        let pg = self.dir.path().join("pg");
        let pid: i32 = std::fs::read_to_string(pg.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let ours = String::from_utf8_lossy(&cmdline).contains(&*pg.to_string_lossy());
        (ours && platform::embedded_pg::pid_alive(nix::unistd::Pid::from_raw(pid))).then_some(pid)
    }

    /// The owner URL of the embedded cluster (the socket is in the cluster directory).
    pub fn owner_url(&self) -> String {
        format!(
            "postgres://sous@localhost/sous?host={}&port=5432",
            self.dir.path().join("pg").display()
        )
    }

    /// A demo login's access token.
    pub async fn token(&self, email: &str) -> String {
        let res = self
            .client
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["accessToken"].as_str().unwrap().to_string()
    }

    /// Sends SIGTERM and waits (bounded by `limit`) for the process to exit; how long it took,
    /// or `None` if it was still running at the limit.
    pub fn terminate(&mut self, limit: std::time::Duration) -> Option<std::time::Duration> {
        use nix::{
            sys::signal::{Signal, kill},
            unistd::Pid,
        };
        let started = std::time::Instant::now();
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        while started.elapsed() < limit {
            if self.child.try_wait().unwrap().is_some() {
                return Some(started.elapsed());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for SousProcess {
    fn drop(&mut self) {
        use nix::{
            sys::signal::{Signal, kill},
            unistd::Pid,
        };
        // A test that stopped the server (SIGSTOP) must not leave it behind, nor its backends.
        if let Some(pid) = self.postmaster_pid() {
            let postmaster = Pid::from_raw(pid);
            for child in platform::embedded_pg::server_processes(postmaster) {
                let _ = kill(child, Signal::SIGKILL);
            }
            let _ = kill(postmaster, Signal::SIGKILL);
        }
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// `sous serve --no-embedded --no-web` on `db`, its own data dir and a free port, with the
/// settings a test gives (`SOUS_*` pairs) on top of the test keys; output is kept for asserts.
pub struct ExternalSous {
    pub child: std::process::Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl ExternalSous {
    pub fn start(db: &platform::testing::TestDb, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_sous"))
            .args(["serve", "--no-embedded", "--no-web"])
            .args(args)
            .env("SOUS_CONFIG", data.path().join("none.toml"))
            .env("SOUS_DATABASE_URL", db.owner_url())
            .env("SOUS_LISTEN", format!("127.0.0.1:{port}"))
            .env("SOUS_DATA_DIR", data.path())
            .env("SOUS_JWT_KEYS", JWT_KEYS)
            .env("SOUS_PIN_PEPPER", "test-pepper")
            .env("SOUS_WORKER_CONCURRENCY", "0")
            .env("SOUS_SCHEDULER", "off")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _data: data,
        }
    }

    /// Waits (bounded) until the health check answers; panics if the process exits first.
    pub async fn healthy(&mut self) {
        let started = tokio::time::Instant::now();
        while reqwest::get(format!("{}/api/health", self.base))
            .await
            .is_err()
        {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("sous exited with {status}: {}", self.stderr());
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "sous started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Waits (bounded) for the process to exit by itself; its exit status.
    pub async fn exited(&mut self) -> std::process::ExitStatus {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "sous exited"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// What the process wrote to stderr (read once it has exited).
    pub fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut out = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut out);
        }
        out
    }
}

impl Drop for ExternalSous {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
