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
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{
    Method, Request, StatusCode,
    client::conn::http1::SendRequest,
    header::{CONTENT_TYPE, HOST},
};
use hyper_util::rt::TokioIo;
use serde::Serialize;
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
    pub path: &'static str,
    /// A JSON body, sent with `content-type: application/json`.
    pub json_body: Option<Bytes>,
}

impl Target {
    pub fn get(addr: SocketAddr, path: &'static str) -> Self {
        Self {
            addr,
            method: Method::GET,
            path,
            json_body: None,
        }
    }

    pub fn post_json(addr: SocketAddr, path: &'static str, body: serde_json::Value) -> Self {
        Self {
            addr,
            method: Method::POST,
            path,
            json_body: Some(Bytes::from(body.to_string())),
        }
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path)
            .header(HOST, self.addr.to_string());
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
#[derive(Clone, Debug, Serialize)]
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

/// State every connection task shares.
struct Shared {
    target: Target,
    cfg: LoadConfig,
    measure_from: Instant,
    deadline: Instant,
    counted: AtomicU64,
    /// Set when the cap is reached: every connection stops after its current request.
    stop: AtomicBool,
    /// Nanoseconds after `measure_from` at which the cap was reached (u64::MAX: never).
    cap_reached_at: AtomicU64,
}

/// What one connection task saw.
struct ConnStats {
    hist: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

fn new_histogram() -> Histogram<u64> {
    // Microseconds, 1 µs … 60 s, 3 significant figures.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Runs the warm-up and the measured window against `target` and returns the figures.
pub async fn run(target: &Target, cfg: &LoadConfig) -> anyhow::Result<LoadResult> {
    let start = Instant::now();
    let measure_from = start + cfg.warmup;
    let shared = Arc::new(Shared {
        target: target.clone(),
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

    let mut hist = new_histogram();
    let mut errors = 0;
    let mut first_error = None;
    for task in tasks {
        let stats = task.await.context("a load generator task panicked")?;
        hist.add(&stats.hist).expect("histograms share bounds");
        errors += stats.errors;
        first_error = first_error.or(stats.first_error);
    }

    let cap_at = shared.cap_reached_at.load(Ordering::Relaxed);
    let window = if cap_at == u64::MAX {
        cfg.duration
    } else {
        Duration::from_nanos(cap_at).min(cfg.duration)
    };
    let requests = hist.len();
    anyhow::ensure!(
        requests > 0,
        "no request to {} {} succeeded ({errors} errors; first: {})",
        target.method,
        target.path,
        first_error.as_deref().unwrap_or("none")
    );
    let ms = |us: u64| us as f64 / 1000.0;
    Ok(LoadResult {
        connections: cfg.connections,
        requests,
        errors,
        first_error,
        window_s: window.as_secs_f64(),
        requests_per_s: requests as f64 / window.as_secs_f64(),
        p50_ms: ms(hist.value_at_quantile(0.50)),
        p90_ms: ms(hist.value_at_quantile(0.90)),
        p99_ms: ms(hist.value_at_quantile(0.99)),
        max_ms: ms(hist.max()),
    })
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

/// Sends one request and reads the whole answer.
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
) -> anyhow::Result<StatusCode> {
    sender.ready().await?;
    let response = sender.send_request(target.request()).await?;
    let status = response.status();
    response.into_body().collect().await?;
    Ok(status)
}

async fn connection_loop(shared: Arc<Shared>) -> ConnStats {
    let mut stats = ConnStats {
        hist: new_histogram(),
        errors: 0,
        first_error: None,
    };
    let mut sender = None;
    while Instant::now() < shared.deadline && !shared.stop.load(Ordering::Relaxed) {
        let began = Instant::now();
        let outcome = tokio::time::timeout(shared.cfg.request_timeout, async {
            if sender.is_none() {
                sender = Some(connect(shared.target.addr).await?);
            }
            send(sender.as_mut().expect("connected above"), &shared.target).await
        })
        .await;
        let done = Instant::now();
        let failure = match outcome {
            Ok(Ok(status)) if status.is_success() => None,
            Ok(Ok(status)) => Some(format!("HTTP {status}")),
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
                stats.hist.saturating_record(micros);
                if n == shared.cfg.max_requests {
                    let at = (done - shared.measure_from).as_nanos() as u64;
                    shared.cap_reached_at.fetch_min(at, Ordering::Relaxed);
                    shared.stop.store(true, Ordering::Relaxed);
                }
            }
            Some(message) => {
                stats.errors += 1;
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
