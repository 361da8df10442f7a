//! The SSE fan-out against the real `sous`: thousands of clients follow one branch's
//! `orders` channel; memory per idle stream is the process's RSS growth divided by the clients,
//! and latency is the time from the committing transaction (an owner connection of the harness
//! inserting into the `events` outbox) to the arrival of the event at every client.
//!
//! Each client is one keep-alive HTTP/1.1 connection on loopback, a bare hyper client connection
//! driven by the client's own task (one task per client, no pool). Every phase is bounded in
//! time and count; the clients are closed and `sous` is stopped at the end, also on error.

mod clients;
mod stream;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, ensure};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{
    Request, StatusCode,
    header::{AUTHORIZATION, CONTENT_TYPE, HOST},
};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{Connection as _, PgConnection};
use tokio::{net::TcpStream, sync::watch};

pub(crate) use self::stream::SseStream;
use self::{
    clients::{ClientOutcome, Shared, open_clients},
    stream::drive,
};
use crate::{
    cluster::BenchCluster,
    scenarios::percentile,
    sous_proc::{Launcher, SousServer},
};

#[derive(Clone, Copy, Debug)]
pub struct FanoutConfig {
    /// SSE clients, all on the same branch channel.
    pub clients: usize,
    /// Clients being opened at once (connect, request, greeting).
    pub open_concurrency: usize,
    /// One client's connect + request + greeting gives up after this.
    pub open_timeout: Duration,
    /// Opening all clients gives up after this.
    pub open_phase: Duration,
    /// Idle time before each RSS reading.
    pub settle: Duration,
    /// Events committed, one per transaction.
    pub events: u64,
    pub event_interval: Duration,
    /// How long after the last commit the clients may take to receive everything.
    pub delivery_wait: Duration,
}

/// What the fan-out measured.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SseFanout {
    pub request: String,
    pub clients: usize,
    pub open_concurrency: usize,
    /// Clients that received the stream's greeting (`retry:` / `: connected`).
    pub connected: usize,
    /// Clients that could not be opened (`clients - connected`).
    pub connect_errors: usize,
    /// Time to open every client.
    pub open_s: f64,
    /// The open-files limit `sous` and the harness ran with.
    pub nofile_limit: u64,
    /// `VmRSS` of `sous` (kB = 1024 bytes, as `/proc` counts), up and idle with no stream open.
    pub rss_idle_kb: u64,
    /// `VmRSS` of `sous` with every client connected and idle.
    pub rss_connected_kb: u64,
    /// (connected − idle RSS) / connected clients, in kB.
    pub memory_per_connection_kb: f64,
    pub events: u64,
    pub event_interval_ms: f64,
    /// `clients × events`: every client must receive every event.
    pub deliveries_expected: u64,
    /// Distinct (client, event) pairs received.
    pub deliveries_received: u64,
    pub deliveries_missing: u64,
    /// The same event received twice by one client.
    pub duplicates: u64,
    /// Streams that ended or failed before the harness closed them.
    pub streams_ended_early: usize,
    /// The first connection or stream failure, to say what went wrong.
    pub first_error: Option<String>,
    /// Commit returned → event received, over every (client, event) pair received.
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Per event, the latency of the first client to receive it (the pipeline: NOTIFY, the
    /// listener's read, the hub), median over the events.
    pub first_client_median_ms: f64,
    /// Per event, the latency of the last client to receive it (pipeline plus fan-out), median
    /// over the events.
    pub last_client_median_ms: f64,
    /// CPU time (user + system) `sous` used from the first commit until every delivery had
    /// arrived (or the wait ended), per event.
    pub sous_cpu_ms_per_event: f64,
    /// The same for the harness (its clients and the inserting connection), which shares the
    /// machine's cores with `sous` and PostgreSQL.
    pub harness_cpu_ms_per_event: f64,
}

const INSERT_EVENT: &str = "insert into events (tenant_id, branch_id, channel, stream, type, payload) \
     values ($1::uuid, $2::uuid, 'orders', 'order:bench', 'bench.tick', jsonb_build_object('seq', $3::bigint))";
const EVENT_TYPE: &str = "bench.tick";
/// Bounds of the harness's own requests and statements.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Extra RSS readings (250 ms apart) while the figure still moves by more than `RSS_STABLE_KB`.
const RSS_READINGS: usize = 8;
const RSS_STABLE_KB: u64 = 256;

/// Starts `sous` with the open-files limit raised, runs the scenario and stops `sous`, whatever
/// the outcome.
pub async fn sse_fanout(
    launcher: &Launcher,
    cluster: &BenchCluster,
    cfg: &FanoutConfig,
) -> anyhow::Result<SseFanout> {
    // Before the spawn: the child inherits the limit. Both sides need a descriptor per client.
    let nofile = raise_nofile_limit()?;
    ensure!(
        nofile >= cfg.clients as u64 + 512,
        "the open-files limit ({nofile}) is too low for {} SSE clients; raise the hard limit",
        cfg.clients
    );
    // Every client follows as the one demo manager, far more streams than one person holds.
    let server = launcher
        .start_with(&[("SOUS_SSE_STREAMS_PER_PRINCIPAL", "10000000")])
        .await?;
    let result = measure(&server, cluster, cfg, nofile).await;
    let stopped = server.stop().await;
    let figures = result?;
    stopped.context("stopping sous after the SSE fan-out")?;
    Ok(figures)
}

/// Raises this process's soft `RLIMIT_NOFILE` to the hard limit; returns the new soft limit.
fn raise_nofile_limit() -> anyhow::Result<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit(RLIMIT_NOFILE)")?;
    // An unlimited hard limit still cannot go past fs.nr_open; 1 Mi is the kernel default.
    let target = if hard == nix::libc::RLIM_INFINITY {
        1 << 20
    } else {
        hard
    };
    if soft < target {
        setrlimit(Resource::RLIMIT_NOFILE, target, hard).context("setrlimit(RLIMIT_NOFILE)")?;
        return Ok(target);
    }
    Ok(soft)
}

async fn measure(
    server: &SousServer,
    cluster: &BenchCluster,
    cfg: &FanoutConfig,
    nofile: u64,
) -> anyhow::Result<SseFanout> {
    let addr = server.addr;
    let pid = server.pid().context("sous has no pid")?;
    let token = login(addr).await?;
    let branch = riyadh_branch(addr, &token).await?;
    let mut db = tokio::time::timeout(STEP_TIMEOUT, PgConnection::connect(&cluster.owner_url()))
        .await
        .context("connecting to the benchmark database timed out")??;
    let tenant: String = sqlx::query_scalar("select id::text from tenants where slug = $1")
        .bind(identity::seed::DEMO_SLUG)
        .fetch_one(&mut db)
        .await
        .context("looking up the demo tenant")?;

    // Up, logged in once (argon2's memory has come and gone) and idle.
    let rss_idle_kb = settled_rss_kb(pid, cfg.settle).await?;

    let path = format!("/api/sse/orders?branchId={branch}");
    let shared = Arc::new(Shared {
        addr,
        path: path.clone(),
        authorization: format!("Bearer {token}"),
        events: cfg.events,
        open_timeout: cfg.open_timeout,
        delivered: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let opened = open_clients(&shared, cfg, &stop_rx).await;
    let mut tasks = opened.tasks;
    ensure!(
        opened.connected > 0,
        "no SSE client could connect to {path}: {}",
        opened.first_error.as_deref().unwrap_or("no error recorded")
    );
    let rss_connected_kb = settled_rss_kb(pid, cfg.settle).await?;

    // One event per transaction; t0 is taken as soon as COMMIT has returned.
    let mut committed = Vec::with_capacity(cfg.events as usize);
    let cpu_before = (cpu_time(Some(pid))?, cpu_time(None)?);
    let began = Instant::now();
    for seq in 0..cfg.events {
        tokio::time::sleep_until((began + cfg.event_interval * seq as u32).into()).await;
        let commit = async {
            let mut tx = db.begin().await?;
            sqlx::query(INSERT_EVENT)
                .bind(&tenant)
                .bind(&branch)
                .bind(seq as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        };
        tokio::time::timeout(STEP_TIMEOUT, commit)
            .await
            .context("inserting an event timed out")?
            .context("inserting an event")?;
        committed.push(Instant::now());
    }
    let expected_live = opened.connected as u64 * cfg.events;
    let deadline = Instant::now() + cfg.delivery_wait;
    while shared.delivered.load(Ordering::Relaxed) < expected_live && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu_after = (cpu_time(Some(pid))?, cpu_time(None)?);
    let cpu_per_event = |before: Duration, after: Duration| {
        after.saturating_sub(before).as_secs_f64() * 1000.0 / cfg.events as f64
    };

    // Close every client: each ends its loop, drops its connection and hands back what it saw.
    let _ = stop_tx.send(true);
    let close_by = tokio::time::Instant::now() + STEP_TIMEOUT;
    let mut outcomes = Vec::with_capacity(tasks.0.len());
    for task in tasks.0.iter_mut() {
        outcomes.push(match tokio::time::timeout_at(close_by, task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => ClientOutcome::failed(cfg.events, format!("client task failed: {e}")),
            Err(_) => ClientOutcome::failed(cfg.events, "client did not close in time".into()),
        });
    }
    drop(tasks);
    let _ = db.close().await;

    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
    let mut received = 0;
    let mut duplicates = 0;
    let mut ended_early = 0;
    let mut first_error = opened.first_error;
    // Per event: the fastest and the slowest client, in µs.
    let mut spread = vec![(u64::MAX, 0u64); committed.len()];
    for outcome in &outcomes {
        duplicates += outcome.duplicates;
        if let Some(e) = &outcome.error {
            if outcome.opened {
                ended_early += 1;
            }
            first_error.get_or_insert_with(|| e.clone());
        }
        for ((at, t0), (first, last)) in outcome.received.iter().zip(&committed).zip(&mut spread) {
            if let Some(at) = at {
                received += 1;
                let micros = at.saturating_duration_since(*t0).as_micros().max(1) as u64;
                hist.saturating_record(micros);
                *first = (*first).min(micros);
                *last = (*last).max(micros);
            }
        }
    }
    ensure!(
        received > 0,
        "none of the {} connected SSE clients received any of the {} events ({})",
        opened.connected,
        cfg.events,
        first_error.as_deref().unwrap_or("no error recorded")
    );
    let expected = cfg.clients as u64 * cfg.events;
    let ms = |us: u64| us as f64 / 1000.0;
    let median_ms = |pick: fn(&(u64, u64)) -> u64| {
        let mut v: Vec<f64> = spread
            .iter()
            .filter(|(first, _)| *first != u64::MAX)
            .map(|s| ms(pick(s)))
            .collect();
        v.sort_by(f64::total_cmp);
        percentile(&v, 0.5)
    };
    Ok(SseFanout {
        request: "GET /api/sse/orders?branchId=<Riyadh>".into(),
        clients: cfg.clients,
        open_concurrency: cfg.open_concurrency,
        connected: opened.connected,
        connect_errors: cfg.clients - opened.connected,
        open_s: opened.took.as_secs_f64(),
        nofile_limit: nofile,
        rss_idle_kb,
        rss_connected_kb,
        memory_per_connection_kb: (rss_connected_kb as f64 - rss_idle_kb as f64)
            / opened.connected as f64,
        events: cfg.events,
        event_interval_ms: cfg.event_interval.as_secs_f64() * 1000.0,
        deliveries_expected: expected,
        deliveries_received: received,
        deliveries_missing: expected.saturating_sub(received),
        duplicates,
        streams_ended_early: ended_early,
        first_error,
        p50_ms: ms(hist.value_at_quantile(0.50)),
        p90_ms: ms(hist.value_at_quantile(0.90)),
        p99_ms: ms(hist.value_at_quantile(0.99)),
        max_ms: ms(hist.max()),
        first_client_median_ms: median_ms(|s| s.0),
        last_client_median_ms: median_ms(|s| s.1),
        sous_cpu_ms_per_event: cpu_per_event(cpu_before.0, cpu_after.0),
        harness_cpu_ms_per_event: cpu_per_event(cpu_before.1, cpu_after.1),
    })
}

/// The demo manager's access token.
async fn login(addr: SocketAddr) -> anyhow::Result<String> {
    let body = json!({
        "email": identity::seed::demo_email(platform::auth::Role::Manager),
        "password": identity::seed::DEMO_PASSWORD,
    });
    let request = Request::post("/api/auth/login")
        .header(HOST, addr.to_string())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))?;
    let (status, answer) = request_json(addr, request).await?;
    ensure!(status.is_success(), "login answered {status}: {answer}");
    answer["accessToken"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no access_token in the login answer: {answer}"))
}

/// The id of the branch in Asia/Riyadh, as the manager's `GET /api/branches` lists it.
async fn riyadh_branch(addr: SocketAddr, token: &str) -> anyhow::Result<String> {
    let request = Request::get("/api/branches")
        .header(HOST, addr.to_string())
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))?;
    let (status, answer) = request_json(addr, request).await?;
    ensure!(
        status.is_success(),
        "GET /api/branches answered {status}: {answer}"
    );
    answer
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["timeZone"] == "Asia/Riyadh")
        .and_then(|b| b["id"].as_str())
        .map(str::to_string)
        .with_context(|| format!("no branch in Asia/Riyadh in {answer}"))
}

/// One request on a fresh connection; the answer's status and JSON body (`null` if not JSON).
async fn request_json(
    addr: SocketAddr,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<(StatusCode, Value)> {
    let exchange = async {
        let stream = TcpStream::connect(addr).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let mut conn = std::pin::pin!(conn);
        let response = drive(conn.as_mut(), sender.send_request(request)).await??;
        let status = response.status();
        let body = drive(conn.as_mut(), response.into_body().collect())
            .await??
            .to_bytes();
        anyhow::Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    };
    tokio::time::timeout(STEP_TIMEOUT, exchange)
        .await
        .context("request timed out")?
}

/// `VmRSS` once it has settled: after `settle`, read every 250 ms (a bounded number of times)
/// until two readings are within `RSS_STABLE_KB`.
async fn settled_rss_kb(pid: u32, settle: Duration) -> anyhow::Result<u64> {
    tokio::time::sleep(settle).await;
    let mut last = vm_rss_kb(pid)?;
    for _ in 0..RSS_READINGS {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = vm_rss_kb(pid)?;
        if now.abs_diff(last) <= RSS_STABLE_KB {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

fn vm_rss_kb(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_vm_rss_kb(&status).with_context(|| format!("no VmRSS in {path}"))
}

/// The `VmRSS:` line of `/proc/<pid>/status`, in kB.
pub fn parse_vm_rss_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// User + system CPU time a process (`None`: this one) has used so far.
fn cpu_time(pid: Option<u32>) -> anyhow::Result<Duration> {
    use nix::unistd::{SysconfVar, sysconf};
    let path = pid.map_or_else(
        || "/proc/self/stat".to_string(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let ticks = parse_cpu_ticks(&stat).with_context(|| format!("no CPU times in {path}"))?;
    let per_second = sysconf(SysconfVar::CLK_TCK)?
        .filter(|&hz| hz > 0)
        .unwrap_or(100);
    Ok(Duration::from_secs_f64(ticks as f64 / per_second as f64))
}

/// `utime + stime` (fields 14 and 15, in clock ticks) of a `/proc/<pid>/stat` line. The
/// command name (field 2) may contain spaces and parentheses, so fields are counted from the
/// last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(field(14)? + field(15)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss() {
        let status = "Name:\tsous\nVmPeak:\t  123456 kB\nVmRSS:\t   23456 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_vm_rss_kb(status), Some(23456));
        assert_eq!(parse_vm_rss_kb("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn reads_cpu_ticks() {
        let stat = "4242 (sous (x) y) S 1 4242 4242 0 -1 4194560 2573 0 0 0 731 129 0 0 20 0 \
                    9 0 123456 1000000 3000 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some(731 + 129));
        assert_eq!(parse_cpu_ticks("4242 (sous) S 1"), None);
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(parse_cpu_ticks(&own).is_some());
    }
}
