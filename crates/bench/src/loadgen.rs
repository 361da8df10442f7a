//! A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next request
//! as soon as the previous answer is read. It uses hyper's bare client connection rather than a
//! pooled client, so the generator costs as little CPU as possible on a machine it shares with
//! the server under test; the same generator loads the baseline and the scenarios, so what it
//! does cost cancels out in the ratios.
//!
//! Only requests that complete inside the measured window count, after a warm-up that opens the
//! connections and warms the server's caches; the window ends at its deadline or when the
//! request cap is reached, whichever comes first.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use bytes::{Buf, Bytes};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Collected, Full};
use hyper::{
    HeaderMap, Method, Request, StatusCode,
    client::conn::http1::SendRequest,
    header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue},
};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug)]
pub struct LoadConfig {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// Cap on the requests counted in the window.
    pub max_requests: u64,
    /// A request slower than this counts as an error and its connection is replaced.
    pub request_timeout: Duration,
}

/// One request, sent over and over.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub method: Method,
    pub path: String,
    /// A JSON body, sent with `content-type: application/json`.
    pub json_body: Option<Bytes>,
    /// An answer whose body is not this long counts as an error.
    pub expect_body_len: Option<usize>,
    /// Sent with every request (e.g. `authorization`).
    pub headers: HeaderMap,
    /// Send a new `Idempotency-Key` with every request, so each one is a new operation.
    pub fresh_idempotency_key: bool,
}

impl Target {
    pub fn get(addr: SocketAddr, path: impl Into<String>) -> Self {
        Self {
            addr,
            method: Method::GET,
            path: path.into(),
            json_body: None,
            expect_body_len: None,
            headers: HeaderMap::new(),
            fresh_idempotency_key: false,
        }
    }

    pub fn post_json(addr: SocketAddr, path: impl Into<String>, body: serde_json::Value) -> Self {
        Self {
            addr,
            method: Method::POST,
            path: path.into(),
            json_body: Some(Bytes::from(body.to_string())),
            expect_body_len: None,
            headers: HeaderMap::new(),
            fresh_idempotency_key: false,
        }
    }

    /// The same request, whose answers must have a body of `len` bytes.
    pub fn expecting_body_len(mut self, len: usize) -> Self {
        self.expect_body_len = Some(len);
        self
    }

    /// The same request with `Authorization: Bearer <token>`.
    pub fn with_bearer(mut self, token: &str) -> anyhow::Result<Self> {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("a bearer token is a valid header value")?;
        self.headers.insert(AUTHORIZATION, value);
        Ok(self)
    }

    /// The same request, each time under a new `Idempotency-Key` (a UUIDv7).
    pub fn with_fresh_idempotency_key(mut self) -> Self {
        self.fresh_idempotency_key = true;
        self
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(HOST, self.addr.to_string());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if self.fresh_idempotency_key {
            builder = builder.header("idempotency-key", uuid::Uuid::now_v7().to_string());
        }
        match &self.json_body {
            Some(body) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(body.clone())),
            None => builder.body(Full::new(Bytes::new())),
        }
        .expect("a static request is valid")
    }
}

/// What one run measured. Latencies are of successful requests only.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LoadResult {
    pub connections: usize,
    /// Successful requests completed in the window.
    pub requests: u64,
    /// Failures in the window: non-2xx answers, transport errors, timeouts.
    pub errors: u64,
    /// The first failure seen, to say what went wrong.
    pub first_error: Option<String>,
    pub window_s: f64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// A mix of requests, sent in turn (one shared round robin over every connection), each
/// request in a class whose latencies are also reported on their own. Every request goes to
/// the same address.
#[derive(Clone, Debug)]
pub struct Mix {
    pub classes: Vec<String>,
    /// (index into `classes`, request).
    pub requests: Vec<(usize, Target)>,
}

/// One class of a mix: its own count and latencies.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ClassResult {
    pub class: String,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct MixResult {
    pub overall: LoadResult,
    pub classes: Vec<ClassResult>,
}

/// State every connection task shares.
struct Shared {
    mix: Mix,
    /// The next request of the mix to send (modulo its length).
    next: AtomicUsize,
    cfg: LoadConfig,
    measure_from: Instant,
    deadline: Instant,
    counted: AtomicU64,
    /// Set when the cap is reached: every connection stops after its current request.
    stop: AtomicBool,
    /// Nanoseconds after `measure_from` at which the cap was reached (u64::MAX: never).
    cap_reached_at: AtomicU64,
}

/// What one connection task saw, per class.
struct ConnStats {
    hists: Vec<Histogram<u64>>,
    errors: Vec<u64>,
    first_error: Option<String>,
}

fn new_histogram() -> Histogram<u64> {
    // Microseconds, 1 µs … 60 s, 3 significant figures.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// p50, p90, p99 and max of a histogram of microseconds, in milliseconds.
pub fn quantiles_ms(hist: &Histogram<u64>) -> [f64; 4] {
    let ms = |us: u64| us as f64 / 1000.0;
    [
        ms(hist.value_at_quantile(0.50)),
        ms(hist.value_at_quantile(0.90)),
        ms(hist.value_at_quantile(0.99)),
        ms(hist.max()),
    ]
}

/// Runs the warm-up and the measured window against `target` and returns the figures.
pub async fn run(target: &Target, cfg: &LoadConfig) -> anyhow::Result<LoadResult> {
    let mix = Mix {
        classes: vec![format!("{} {}", target.method, target.path)],
        requests: vec![(0, target.clone())],
    };
    Ok(run_mix(&mix, cfg).await?.overall)
}

/// [`run`] for a mix of requests: the overall figures and each class's.
pub async fn run_mix(mix: &Mix, cfg: &LoadConfig) -> anyhow::Result<MixResult> {
    anyhow::ensure!(!mix.requests.is_empty(), "a mix needs at least one request");
    let addr = mix.requests[0].1.addr;
    anyhow::ensure!(
        mix.requests
            .iter()
            .all(|(class, t)| t.addr == addr && *class < mix.classes.len()),
        "every request of a mix goes to one address and names one of its classes"
    );
    let start = Instant::now();
    let measure_from = start + cfg.warmup;
    let shared = Arc::new(Shared {
        mix: mix.clone(),
        next: AtomicUsize::new(0),
        cfg: *cfg,
        measure_from,
        deadline: measure_from + cfg.duration,
        counted: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        cap_reached_at: AtomicU64::new(u64::MAX),
    });
    let tasks: Vec<_> = (0..cfg.connections)
        .map(|_| tokio::spawn(connection_loop(shared.clone())))
        .collect();

    let classes = mix.classes.len();
    let mut hists: Vec<_> = (0..classes).map(|_| new_histogram()).collect();
    let mut class_errors = vec![0u64; classes];
    let mut first_error = None;
    for task in tasks {
        let stats = task.await.context("a load generator task panicked")?;
        for (i, h) in stats.hists.iter().enumerate() {
            hists[i].add(h).expect("histograms share bounds");
            class_errors[i] += stats.errors[i];
        }
        first_error = first_error.or(stats.first_error);
    }
    let mut hist = new_histogram();
    for h in &hists {
        hist.add(h).expect("histograms share bounds");
    }
    let errors: u64 = class_errors.iter().sum();

    let cap_at = shared.cap_reached_at.load(Ordering::Relaxed);
    let window = if cap_at == u64::MAX {
        cfg.duration
    } else {
        Duration::from_nanos(cap_at).min(cfg.duration)
    };
    let requests = hist.len();
    anyhow::ensure!(
        requests > 0,
        "no request to {} succeeded ({errors} errors; first: {})",
        mix.classes.join(", "),
        first_error.as_deref().unwrap_or("none")
    );
    let [p50_ms, p90_ms, p99_ms, max_ms] = quantiles_ms(&hist);
    let overall = LoadResult {
        connections: cfg.connections,
        requests,
        errors,
        first_error,
        window_s: window.as_secs_f64(),
        requests_per_s: requests as f64 / window.as_secs_f64(),
        p50_ms,
        p90_ms,
        p99_ms,
        max_ms,
    };
    let classes = mix
        .classes
        .iter()
        .zip(hists.iter().zip(class_errors))
        .map(|(class, (h, errors))| {
            let [p50_ms, p90_ms, p99_ms, max_ms] = quantiles_ms(h);
            ClassResult {
                class: class.clone(),
                requests: h.len(),
                errors,
                p50_ms,
                p90_ms,
                p99_ms,
                max_ms,
            }
        })
        .collect();
    Ok(MixResult { overall, classes })
}

/// A fresh keep-alive connection; its I/O is driven by a task of its own, which ends when the
/// returned sender is dropped.
async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer (every byte of the body).
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
) -> anyhow::Result<(StatusCode, HeaderMap, Collected<Bytes>)> {
    sender.ready().await?;
    let response = sender.send_request(target.request()).await?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await?;
    Ok((parts.status, parts.headers, body))
}

/// Whether an answer is what the load loop counts as a success: 2xx, and the body's length
/// when the target expects one.
fn check(target: &Target, status: StatusCode, body: Collected<Bytes>) -> Option<String> {
    if !status.is_success() {
        return Some(format!("HTTP {status}"));
    }
    let len = body.aggregate().remaining();
    match target.expect_body_len {
        Some(want) if want != len => Some(format!("a body of {len} bytes, expected {want}")),
        _ => None,
    }
}

/// One request on a connection of its own, outside any measurement (to look an id up, or to
/// read the body a scenario will be compared by).
pub async fn fetch(
    target: &Target,
    timeout: Duration,
) -> anyhow::Result<(StatusCode, HeaderMap, Bytes)> {
    tokio::time::timeout(timeout, async {
        let mut sender = connect(target.addr).await?;
        let (status, headers, body) = send(&mut sender, target).await?;
        anyhow::Ok((status, headers, body.to_bytes()))
    })
    .await
    .with_context(|| {
        format!(
            "{} {}: no answer within {timeout:?}",
            target.method, target.path
        )
    })?
}

/// [`fetch`] for a JSON answer that must be 2xx.
pub async fn fetch_json(target: &Target, timeout: Duration) -> anyhow::Result<serde_json::Value> {
    let (status, _, body) = fetch(target, timeout).await?;
    anyhow::ensure!(
        status.is_success(),
        "{} {}: HTTP {status}: {}",
        target.method,
        target.path,
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body)
        .with_context(|| format!("{} {}: not JSON", target.method, target.path))
}

async fn connection_loop(shared: Arc<Shared>) -> ConnStats {
    let classes = shared.mix.classes.len();
    let mut stats = ConnStats {
        hists: (0..classes).map(|_| new_histogram()).collect(),
        errors: vec![0; classes],
        first_error: None,
    };
    let mut sender = None;
    while Instant::now() < shared.deadline && !shared.stop.load(Ordering::Relaxed) {
        let turn = shared.next.fetch_add(1, Ordering::Relaxed) % shared.mix.requests.len();
        let (class, target) = &shared.mix.requests[turn];
        let began = Instant::now();
        let outcome = tokio::time::timeout(shared.cfg.request_timeout, async {
            if sender.is_none() {
                sender = Some(connect(target.addr).await?);
            }
            send(sender.as_mut().expect("connected above"), target).await
        })
        .await;
        let done = Instant::now();
        let failure = match outcome {
            Ok(Ok((status, _, body))) => check(target, status, body),
            Ok(Err(e)) => {
                sender = None;
                Some(format!("{e:#}"))
            }
            Err(_) => {
                sender = None;
                Some(format!("timed out after {:?}", shared.cfg.request_timeout))
            }
        };
        if done < shared.measure_from || done > shared.deadline {
            continue;
        }
        match failure {
            None => {
                let n = shared.counted.fetch_add(1, Ordering::Relaxed) + 1;
                if n > shared.cfg.max_requests {
                    shared.stop.store(true, Ordering::Relaxed);
                    break;
                }
                let micros = (done - began).as_micros().max(1) as u64;
                stats.hists[*class].saturating_record(micros);
                if n == shared.cfg.max_requests {
                    let at = (done - shared.measure_from).as_nanos() as u64;
                    shared.cap_reached_at.fetch_min(at, Ordering::Relaxed);
                    shared.stop.store(true, Ordering::Relaxed);
                }
            }
            Some(message) => {
                stats.errors[*class] += 1;
                stats.first_error.get_or_insert(message);
                // A server that refuses connections must not turn this into a busy loop.
                if sender.is_none() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny in-process server, so the generator's bookkeeping can be checked end to end.
    async fn serve_hello() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    #[tokio::test]
    async fn stops_at_the_request_cap() {
        let addr = serve_hello().await;
        let cfg = LoadConfig {
            connections: 4,
            warmup: Duration::from_millis(50),
            duration: Duration::from_secs(20),
            max_requests: 500,
            request_timeout: Duration::from_secs(5),
        };
        let began = Instant::now();
        let r = run(&Target::get(addr, "/"), &cfg).await.unwrap();
        assert_eq!(r.requests, 500);
        assert_eq!(r.errors, 0);
        assert!(r.window_s < 20.0, "the window ends at the cap");
        assert!(began.elapsed() < Duration::from_secs(15));
        assert!(r.p50_ms <= r.p99_ms && r.p99_ms <= r.max_ms);
    }

    #[tokio::test]
    async fn a_mix_reports_each_class() {
        let addr = serve_hello().await;
        let cfg = LoadConfig {
            connections: 3,
            warmup: Duration::ZERO,
            duration: Duration::from_secs(20),
            max_requests: 300,
            request_timeout: Duration::from_secs(5),
        };
        let mix = Mix {
            classes: vec!["ok".into(), "missing".into()],
            // Two good requests for every bad one, in turn.
            requests: vec![
                (0, Target::get(addr, "/")),
                (0, Target::get(addr, "/")),
                (1, Target::get(addr, "/missing")),
            ],
        };
        let r = run_mix(&mix, &cfg).await.unwrap();
        assert_eq!(r.classes.len(), 2);
        let (ok, missing) = (&r.classes[0], &r.classes[1]);
        assert_eq!(
            (ok.class.as_str(), missing.class.as_str()),
            ("ok", "missing")
        );
        assert_eq!(ok.requests, r.overall.requests);
        assert_eq!((ok.errors, missing.requests), (0, 0));
        assert_eq!(missing.errors, r.overall.errors);
        // Round robin: about one error per two successes.
        assert!(
            missing.errors * 2 >= ok.requests - 10 && missing.errors * 2 <= ok.requests + 10,
            "{} errors for {} successes",
            missing.errors,
            ok.requests
        );
        assert!(ok.p50_ms <= ok.p99_ms && ok.p99_ms <= ok.max_ms);
    }

    #[tokio::test]
    async fn a_body_of_the_wrong_length_is_an_error() {
        let addr = serve_hello().await;
        let cfg = LoadConfig {
            connections: 1,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(200),
            max_requests: 1_000_000,
            request_timeout: Duration::from_secs(5),
        };
        let right = run(&Target::get(addr, "/").expecting_body_len(2), &cfg)
            .await
            .unwrap();
        assert_eq!(right.errors, 0);
        let err = run(&Target::get(addr, "/").expecting_body_len(3), &cfg)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("a body of 2 bytes, expected 3"),
            "{err}"
        );
        let (status, _, body) = fetch(&Target::get(addr, "/"), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!((status, &body[..]), (StatusCode::OK, &b"hi"[..]));
    }

    #[test]
    fn quantiles_are_in_milliseconds() {
        let mut h = new_histogram();
        for us in 1..=1000 {
            h.record(us).unwrap();
        }
        let [p50, p90, p99, max] = quantiles_ms(&h);
        assert!((p50 - 0.5).abs() < 0.01, "{p50}");
        assert!((p90 - 0.9).abs() < 0.01, "{p90}");
        assert!((p99 - 0.99).abs() < 0.01, "{p99}");
        assert!((max - 1.0).abs() < 0.01, "{max}");
    }

    #[tokio::test]
    async fn counts_non_2xx_answers_as_errors() {
        let addr = serve_hello().await;
        let cfg = LoadConfig {
            connections: 2,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(200),
            max_requests: 1_000_000,
            request_timeout: Duration::from_secs(5),
        };
        let err = run(&Target::get(addr, "/missing"), &cfg).await.unwrap_err();
        assert!(err.to_string().contains("HTTP 404"), "{err}");
    }
}
