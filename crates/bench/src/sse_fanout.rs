//! The SSE fan-out against the real `sous`: thousands of clients follow one branch's
//! `orders` channel; memory per idle stream is the process's RSS growth divided by the clients,
//! and latency is the time from the committing transaction (an owner connection of the harness
//! inserting into the `events` outbox) to the arrival of the event at every client.
//!
//! Each client is one keep-alive HTTP/1.1 connection on loopback, a bare hyper client connection
//! driven by the client's own task (one task per client, no pool). Every phase is bounded in
//! time and count; the clients are closed and `sous` is stopped at the end, also on error.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty, Full};
use hyper::{
    Request, StatusCode,
    body::Incoming,
    client::conn::http1::{Connection, SendRequest},
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST},
};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{Connection as _, PgConnection};
use tokio::{
    net::TcpStream,
    sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch},
    task::JoinHandle,
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

/// What every client task shares.
struct Shared {
    addr: SocketAddr,
    path: String,
    authorization: String,
    events: u64,
    open_timeout: Duration,
    /// Distinct (client, event) pairs received so far, to stop waiting once all have arrived.
    delivered: AtomicU64,
}

/// The client tasks; any still running when this is dropped are aborted (closing their
/// connections), so an error anywhere leaves no stream open.
struct Tasks(Vec<JoinHandle<ClientOutcome>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

struct Opened {
    tasks: Tasks,
    connected: usize,
    first_error: Option<String>,
    took: Duration,
}

/// Spawns the clients, at most `open_concurrency` opening at a time, and waits until each has
/// received its greeting or failed, or the phase's deadline passes.
async fn open_clients(
    shared: &Arc<Shared>,
    cfg: &FanoutConfig,
    stop: &watch::Receiver<bool>,
) -> Opened {
    let began = Instant::now();
    let deadline = tokio::time::Instant::from_std(began + cfg.open_phase);
    let gate = Arc::new(Semaphore::new(cfg.open_concurrency.max(1)));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let mut tasks = Tasks(Vec::with_capacity(cfg.clients));
    let mut first_error = None;
    for _ in 0..cfg.clients {
        let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, gate.clone().acquire_owned()).await
        else {
            first_error = Some(format!(
                "opening {} clients took longer than {:?}",
                cfg.clients, cfg.open_phase
            ));
            break;
        };
        tasks.0.push(tokio::spawn(client(
            shared.clone(),
            permit,
            ready_tx.clone(),
            stop.clone(),
        )));
    }
    drop(ready_tx);
    let spawned = tasks.0.len();
    let (mut connected, mut failed) = (0, 0);
    while connected + failed < spawned {
        match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => connected += 1,
            Ok(Some(Err(e))) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            Ok(None) => break,
            Err(_) => {
                first_error.get_or_insert_with(|| {
                    format!(
                        "opening {} clients took longer than {:?}",
                        cfg.clients, cfg.open_phase
                    )
                });
                break;
            }
        }
    }
    Opened {
        tasks,
        connected,
        first_error,
        took: began.elapsed(),
    }
}

/// What one client saw.
struct ClientOutcome {
    opened: bool,
    /// When each event (by `seq`) arrived.
    received: Vec<Option<Instant>>,
    duplicates: u64,
    /// Why the client failed to open, or why its stream ended before it was closed.
    error: Option<String>,
}

impl ClientOutcome {
    fn failed(events: u64, error: String) -> Self {
        Self {
            opened: false,
            received: vec![None; events as usize],
            duplicates: 0,
            error: Some(error),
        }
    }
}

/// One SSE client: opens its stream (holding a slot of the opening gate), reports in, then
/// records the arrival time of every event until told to stop or the stream ends.
async fn client(
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
    ready: mpsc::UnboundedSender<Result<(), String>>,
    mut stop: watch::Receiver<bool>,
) -> ClientOutcome {
    let mut outcome = ClientOutcome::failed(shared.events, String::new());
    let opened = tokio::time::timeout(
        shared.open_timeout,
        SseStream::open(shared.addr, &shared.path, &shared.authorization),
    )
    .await;
    drop(permit);
    let mut stream = match opened {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let message = format!("{e:#}");
            let _ = ready.send(Err(message.clone()));
            outcome.error = Some(message);
            return outcome;
        }
        Err(_) => {
            let message = format!(
                "opening the stream timed out after {:?}",
                shared.open_timeout
            );
            let _ = ready.send(Err(message.clone()));
            outcome.error = Some(message);
            return outcome;
        }
    };
    outcome.opened = true;
    outcome.error = None;
    let _ = ready.send(Ok(()));
    let mut messages = Vec::new();
    loop {
        tokio::select! {
            chunk = stream.next_chunk() => {
                let at = Instant::now();
                match chunk {
                    Ok(Some(bytes)) => {
                        stream.parser.push(&bytes, &mut messages);
                        for message in messages.drain(..) {
                            let Some(seq) = message.data.as_deref().and_then(bench_seq) else {
                                continue;
                            };
                            match outcome.received.get_mut(seq as usize) {
                                Some(slot @ None) => {
                                    *slot = Some(at);
                                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                                }
                                Some(Some(_)) => outcome.duplicates += 1,
                                None => {}
                            }
                        }
                    }
                    Ok(None) => {
                        outcome.error = Some("the server ended the stream".into());
                        break;
                    }
                    Err(e) => {
                        outcome.error = Some(format!("stream failed: {e:#}"));
                        break;
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
    // Dropping the stream closes the connection.
    outcome
}

type Conn = Connection<TokioIo<TcpStream>, Empty<Bytes>>;

/// An open event stream: the connection is polled by whoever awaits the body, in the client's
/// own task.
pub(crate) struct SseStream {
    _sender: SendRequest<Empty<Bytes>>,
    conn: Pin<Box<Conn>>,
    body: Incoming,
    pub(crate) parser: SseParser,
}

impl SseStream {
    /// Connects, sends the request (`authorization` is the header's value) and reads until the
    /// greeting has arrived.
    pub(crate) async fn open(
        addr: SocketAddr,
        path: &str,
        authorization: &str,
    ) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(addr).await.context("connecting")?;
        tcp.set_nodelay(true)?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        let mut conn = Box::pin(conn);
        let request = Request::get(path)
            .header(HOST, addr.to_string())
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "text/event-stream")
            .body(Empty::<Bytes>::new())?;
        let response = drive(conn.as_mut(), sender.send_request(request)).await??;
        let status = response.status();
        if status != StatusCode::OK {
            let body = drive(conn.as_mut(), response.into_body().collect())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                .unwrap_or_default();
            bail!("HTTP {status}: {body}");
        }
        let mut stream = Self {
            _sender: sender,
            conn,
            body: response.into_body(),
            parser: SseParser::default(),
        };
        let mut messages = Vec::new();
        loop {
            let chunk = stream
                .next_chunk()
                .await?
                .context("the stream ended before its greeting")?;
            stream.parser.push(&chunk, &mut messages);
            if messages.drain(..).any(|m| m.is_greeting()) {
                return Ok(stream);
            }
        }
    }

    /// The next data chunk of the body; `None` when it ends.
    pub(crate) async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        loop {
            match drive(self.conn.as_mut(), self.body.frame()).await? {
                None => return Ok(None),
                Some(frame) => {
                    if let Ok(data) = frame?.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }
}

/// Runs `work` while polling the connection that carries it; an error if the connection ends
/// first.
async fn drive<C, T>(conn: Pin<&mut C>, work: impl Future<Output = T>) -> anyhow::Result<T>
where
    C: Future<Output = hyper::Result<()>>,
{
    tokio::select! {
        out = work => Ok(out),
        done = conn => match done {
            Ok(()) => bail!("the connection closed"),
            Err(e) => Err(anyhow::Error::new(e).context("connection failed")),
        },
    }
}

/// The `seq` of one of this scenario's events, from an SSE `data:` field.
pub fn bench_seq(data: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Data {
        #[serde(rename = "type")]
        kind: String,
        payload: Payload,
    }
    #[derive(Deserialize)]
    struct Payload {
        seq: u64,
    }
    serde_json::from_str::<Data>(data)
        .ok()
        .filter(|d| d.kind == EVENT_TYPE)
        .map(|d| d.payload.seq)
}

/// One SSE message: the fields of a block of lines ended by a blank line.
#[derive(Debug, Default, PartialEq)]
pub struct SseMessage {
    pub id: Option<String>,
    /// `data:` lines joined with `\n`.
    pub data: Option<String>,
    pub retry: Option<u64>,
    pub comments: Vec<String>,
}

impl SseMessage {
    /// The first message of a `sous` stream: `retry:` and the `: connected` comment.
    pub fn is_greeting(&self) -> bool {
        self.retry.is_some() || self.comments.iter().any(|c| c == "connected")
    }
}

/// An incremental parser of `text/event-stream`: chunks may split lines and messages anywhere.
/// Lines end with `\n` or `\r\n` (what axum and every server in practice send); a lone `\r`
/// is not treated as a line end. Unlike a browser, comment-only blocks are returned too (the
/// greeting and heartbeats are comments).
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    current: SseMessage,
}

impl SseParser {
    /// Feeds a chunk; the messages it completes are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseMessage>) {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            self.line_done(&line, out);
            line.clear();
            self.line = line;
        }
        self.line.extend_from_slice(rest);
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseMessage>) {
        if line.is_empty() {
            let message = std::mem::take(&mut self.current);
            if message != SseMessage::default() {
                out.push(message);
            }
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "" => self.current.comments.push(value.to_string()),
            "data" => match &mut self.current.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.current.data = Some(value.to_string()),
            },
            "id" => self.current.id = Some(value.to_string()),
            "retry" => self.current.retry = value.parse().ok(),
            // `event:` and unknown fields are not used here.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "retry: 3000\n: connected\n\n\
        id: 7\ndata: {\"id\":7,\"type\":\"bench.tick\",\"payload\":{\"seq\":3}}\n\n\
        :\n\n\
        data: a\r\ndata: b\r\n\r\n";

    fn parse_in_chunks(size: usize) -> Vec<SseMessage> {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for chunk in STREAM.as_bytes().chunks(size) {
            parser.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn parses_messages_split_anywhere() {
        let whole = parse_in_chunks(STREAM.len());
        assert_eq!(
            whole,
            vec![
                SseMessage {
                    retry: Some(3000),
                    comments: vec!["connected".into()],
                    ..SseMessage::default()
                },
                SseMessage {
                    id: Some("7".into()),
                    data: Some(r#"{"id":7,"type":"bench.tick","payload":{"seq":3}}"#.into()),
                    ..SseMessage::default()
                },
                SseMessage {
                    comments: vec![String::new()],
                    ..SseMessage::default()
                },
                SseMessage {
                    data: Some("a\nb".into()),
                    ..SseMessage::default()
                },
            ]
        );
        for size in [1, 2, 3, 7, 16] {
            assert_eq!(parse_in_chunks(size), whole, "chunks of {size} bytes");
        }
        assert!(whole[0].is_greeting());
        assert!(!whole[1].is_greeting() && !whole[2].is_greeting());
    }

    #[test]
    fn an_unfinished_message_waits_for_its_blank_line() {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        parser.push(b"id: 1\ndata: x\n", &mut out);
        assert!(out.is_empty());
        parser.push(b"\n", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data.as_deref(), Some("x"));
    }

    #[test]
    fn reads_the_seq_of_bench_events_only() {
        let event = r#"{"id":9,"tenantId":"t","branchId":"b","channel":"orders","stream":"order:bench","type":"bench.tick","payload":{"seq":12},"createdAt":"2026-11-25T00:00:00Z"}"#;
        assert_eq!(bench_seq(event), Some(12));
        assert_eq!(
            bench_seq(r#"{"type":"order.placed","payload":{"seq":1}}"#),
            None
        );
        assert_eq!(bench_seq(r#"{"type":"bench.tick","payload":{}}"#), None);
        assert_eq!(bench_seq("not json"), None);
    }

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
