//! The web app on the API's port: `sous serve` starts the built Astro SSR server
//! (`web/dist/server/entry.mjs`) as a child process bound to loopback, and forwards every path
//! outside `/api` to it, streaming both ways. The API (SSE included) never goes through here.

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::TryStreamExt;
use platform::error::{Problem, problem_response};

/// The built server's entry point, relative to the web directory.
pub const ENTRY: &str = "dist/server/entry.mjs";

/// Where non-API requests go.
#[derive(Clone)]
pub enum Web {
    /// The Astro server listens on this loopback address.
    Proxy {
        origin: Arc<str>,
        client: reqwest::Client,
    },
    /// Not started: every page answers a 503 problem with this code (`web_app_not_built`, or
    /// `web_app_disabled` with `--no-web`) saying why.
    Absent { code: &'static str, why: Arc<str> },
}

/// The Astro server child; it is killed when this is dropped, and by the kernel when `sous`
/// itself dies (parent-death signal), so it never outlives the API.
pub struct WebServer {
    child: tokio::process::Child,
}

impl WebServer {
    /// Starts `node dist/server/entry.mjs` on a free loopback port. `api` is the API's own
    /// address, which the SSR pages call for menus and orders. `None` (with the reason in the
    /// returned `Web`) when the app is not built.
    pub async fn start(web_dir: &Path, api: SocketAddr) -> anyhow::Result<(Option<Self>, Web)> {
        let entry = web_dir.join(ENTRY);
        if !entry.is_file() {
            let why = format!(
                "The web app is not built ({} is missing). Run `make run`, or `npm ci && npm run build` in {}.",
                entry.display(),
                web_dir.display()
            );
            tracing::warn!("{why}");
            return Ok((
                None,
                Web::Absent {
                    code: "web_app_not_built",
                    why: why.into(),
                },
            ));
        }
        let port = free_loopback_port()?;
        let api_host = if api.ip().is_unspecified() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, api.port()))
        } else {
            api
        };
        let mut command = tokio::process::Command::new("node");
        command
            .arg(absolute(&entry)?)
            .current_dir(web_dir)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("SOUS_API_ORIGIN", format!("http://{api_host}"))
            .kill_on_drop(true);
        // SAFETY: only an async-signal-safe prctl(2) runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                    .map_err(std::io::Error::from)
            });
        }
        let child = command
            .spawn()
            .context("starting the web app (is `node` on PATH?)")?;
        let origin = format!("http://127.0.0.1:{port}");
        tracing::info!(%origin, "web app server started");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(2))
            .build()?;
        let web = Web::Proxy {
            origin: origin.into(),
            client,
        };
        // The API does not wait for Node: pages answer 503 web_app_unavailable for the moment
        // it takes to load.
        tokio::spawn(wait_until_up(port));
        Ok((Some(Self { child }), web))
    }

    /// Stops the child and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(std::path::absolute(p)?)
}

fn free_loopback_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Node needs a moment to load the server; say when it is up, or that it did not come up in 10 s.
async fn wait_until_up(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_ok()
        {
            tracing::info!(port, "web app server ready");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::warn!(
        port,
        "the web app server did not start listening within 10 s"
    );
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection and are not forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-authorization"
            | "proxy-authenticate"
    )
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !hop_by_hop(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

/// Outermost middleware: `/api` goes on to the API router, everything else to the web app.
pub async fn dispatch(State(web): State<Web>, req: Request, next: Next) -> Response {
    if is_api(req.uri().path()) {
        return next.run(req).await;
    }
    match web {
        Web::Absent { code, why } => unavailable(code, &why),
        Web::Proxy { origin, client } => forward(&origin, &client, req).await,
    }
}

fn unavailable(code: &'static str, detail: &str) -> Response {
    let mut problem = Problem::for_status(StatusCode::SERVICE_UNAVAILABLE);
    problem.code = code.into();
    problem.detail = Some(detail.to_string());
    problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem)
}

async fn forward(origin: &str, client: &reqwest::Client, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let target = format!(
        "{origin}{}",
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    // Astro builds `Astro.url` from Host; keep the address the browser used.
    if let Some(host) = parts.headers.get(header::HOST) {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host.clone());
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    // A request without a body (most page loads) is sent without one: a streamed empty body
    // would go out chunked, its last chunk in a packet of its own.
    let has_body = parts.headers.contains_key(header::TRANSFER_ENCODING)
        || parts
            .headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let mut request = client.request(parts.method, target).headers(headers);
    if has_body {
        request = request.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    }
    let answer = request.send().await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "web app server unreachable");
            return unavailable(
                "web_app_unavailable",
                "The web app server is not answering (starting, or stopped); try again in a moment.",
            );
        }
    };
    let mut res = Response::builder().status(answer.status());
    if let Some(h) = res.headers_mut() {
        copy_headers(answer.headers(), h);
    }
    let stream = answer.bytes_stream().map_err(std::io::Error::other);
    res.body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, routing::get};

    #[test]
    fn only_api_paths_stay_with_the_api() {
        assert!(is_api("/api"));
        assert!(is_api("/api/health"));
        assert!(!is_api("/apis"));
        assert!(!is_api("/en/menu/burgers"));
        assert!(!is_api("/"));
    }

    /// A stand-in for the Astro server: echoes what it received.
    async fn upstream() -> SocketAddr {
        async fn echo(req: Request) -> Response {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let host = parts.headers.get(header::HOST).cloned();
            let mut res = format!(
                "{} {} host={} body={}",
                parts.method,
                parts.uri,
                host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or(""),
                String::from_utf8_lossy(&body)
            )
            .into_response();
            *res.status_mut() = StatusCode::IM_A_TEAPOT;
            res.headers_mut()
                .insert("x-astro", HeaderValue::from_static("yes"));
            res
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, Router::new().fallback(echo))
                .await
                .unwrap()
        });
        addr
    }

    /// The app's shape: an API route, and the dispatch layer outermost.
    async fn front(web: Web) -> String {
        let app = Router::new()
            .route("/api/ping", get(|| async { "pong" }))
            .layer(axum::middleware::from_fn_with_state(web, dispatch));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn proxy_to(addr: SocketAddr) -> Web {
        Web::Proxy {
            origin: format!("http://{addr}").into(),
            client: reqwest::Client::new(),
        }
    }

    #[tokio::test]
    async fn pages_are_forwarded_with_method_path_query_body_and_host() {
        let base = front(proxy_to(upstream().await)).await;
        let client = reqwest::Client::new();
        let res = client
            .post(format!("{base}/ar/t/abc?x=1&y=%D8%B4"))
            .header(header::HOST, "shop.example")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 418);
        assert_eq!(res.headers()["x-astro"], "yes");
        assert_eq!(
            res.text().await.unwrap(),
            "POST /ar/t/abc?x=1&y=%D8%B4 host=shop.example body=hello"
        );
        // The API is never forwarded.
        let api = client.get(format!("{base}/api/ping")).send().await.unwrap();
        assert_eq!(api.text().await.unwrap(), "pong");
    }

    #[tokio::test]
    async fn without_a_build_pages_answer_a_problem_and_the_api_still_works() {
        let dir = std::env::temp_dir().join(format!("sous-web-{}", uuid::Uuid::new_v4()));
        let (server, web) = WebServer::start(&dir, "127.0.0.1:1".parse().unwrap())
            .await
            .unwrap();
        assert!(server.is_none());
        let base = front(web).await;
        let res = reqwest::get(format!("{base}/en/")).await.unwrap();
        assert_eq!(res.status().as_u16(), 503);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "web_app_not_built");
        assert!(body["detail"].as_str().unwrap().contains("npm run build"));
        let api = reqwest::get(format!("{base}/api/ping")).await.unwrap();
        assert_eq!(api.status().as_u16(), 200);
    }

    #[tokio::test]
    async fn a_stopped_web_server_is_a_503_problem_not_a_hang() {
        // A port nothing listens on.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let base = front(proxy_to(dead)).await;
        let res = reqwest::get(format!("{base}/en/menu")).await.unwrap();
        assert_eq!(res.status().as_u16(), 503);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "web_app_unavailable");
    }
}
