//! The two yardsticks every figure is divided by, measured in the same run: pgbench's read-only
//! load on the benchmark cluster (what this machine's PostgreSQL can do right now) and a bare axum
//! "hello" endpoint under the same load generator as the scenarios (what this machine's HTTP stack
//! can do right now), and the same app answering a body of a given size (what it can do right
//! now when every answer is that big).

use std::{net::SocketAddr, process::Stdio, thread::JoinHandle};

use anyhow::{Context, bail};
use axum::http::HeaderMap;
use bytes::Bytes;
use platform::embedded_pg::EmbeddedPg;
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use tokio::{process::Command, sync::oneshot};

use crate::loadgen::{self, LoadConfig, LoadResult, Target};

pub const PGBENCH_DATABASE: &str = "pgbench";
const PGBENCH_THREADS: u32 = 2;
const PGBENCH_SECONDS: u32 = 5;

/// One pgbench load: which script, at which scale and with how many clients.
#[derive(Clone, Copy, Debug)]
pub struct PgbenchRun {
    pub mode: &'static str,
    /// The built-in script's flag: `-S` (select-only) or none (TPC-B-like).
    pub script_flag: Option<&'static str>,
    /// A database of its own per scale, so runs do not re-initialise each other's tables.
    pub database: &'static str,
    pub scale: u32,
    pub clients: u32,
}

/// Read-only: one primary-key look-up per transaction — what PostgreSQL itself serves.
pub const SELECT_ONLY: PgbenchRun = PgbenchRun {
    mode: "select-only (-S)",
    script_flag: Some("-S"),
    database: PGBENCH_DATABASE,
    scale: 1,
    clients: 8,
};

/// TPC-B-like: three updates, a select and an insert in one transaction — the write-path
/// yardstick for checkout (its target: orders/s ≥ 0.4 × this at 16 clients). Scale 16 gives every
/// client a `pgbench_branches` row of its own, so the baseline is not one row's lock queue.
pub const TPC_B: PgbenchRun = PgbenchRun {
    mode: "TPC-B-like (default script)",
    script_flag: None,
    database: "pgbench_tpcb",
    scale: 16,
    clients: 16,
};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PgbenchResult {
    pub mode: String,
    pub scale: u32,
    pub clients: u32,
    pub threads: u32,
    pub seconds: u32,
    pub tps: f64,
    pub latency_avg_ms: Option<f64>,
    pub transactions: Option<u64>,
}

/// `pgbench -i -s <scale>` into the run's database, then `pgbench [-S] -c <clients> -j 2 -T 5`,
/// over the cluster's unix socket (pgbench takes the same connection URL as `sous`).
pub async fn pgbench(pg: &EmbeddedPg, run: PgbenchRun) -> anyhow::Result<PgbenchResult> {
    let pgbench = pg.install().bin_dir.join("pgbench");
    pg.ensure_database(run.database).await?;
    let url = pg.url(run.database);

    let scale = run.scale.to_string();
    run_tool(
        Command::new(&pgbench)
            .args(["-i", "-q", "-s", &scale])
            .arg(&url),
    )
    .await
    .context("pgbench -i")?;
    checkpoint(pg).await?;
    let out = run_tool(
        Command::new(&pgbench)
            // -n: -i has just vacuumed.
            .arg("-n")
            .args(run.script_flag)
            .args(["-c", &run.clients.to_string()])
            .args(["-j", &PGBENCH_THREADS.to_string()])
            .args(["-T", &PGBENCH_SECONDS.to_string()])
            .arg(&url),
    )
    .await
    .with_context(|| format!("pgbench {}", run.mode))?;
    let parsed =
        parse_pgbench(&out).with_context(|| format!("unexpected pgbench output:\n{out}"))?;
    Ok(PgbenchResult {
        mode: run.mode.into(),
        scale: run.scale,
        clients: run.clients,
        threads: PGBENCH_THREADS,
        seconds: PGBENCH_SECONDS,
        tps: parsed.tps,
        latency_avg_ms: parsed.latency_avg_ms,
        transactions: parsed.transactions,
    })
}

/// Writes every dirty page of the cluster out now, so that a measured run that follows does not
/// pay for the writes of the step before it (`pgbench -i`'s tables, an earlier scenario's
/// rows) while the checkpointer catches up with them. Each measured run that writes starts
/// from one: TPC-B's and the checkout's alike.
pub async fn checkpoint(pg: &EmbeddedPg) -> anyhow::Result<()> {
    let mut conn = sqlx::postgres::PgConnection::connect(&pg.url("postgres")).await?;
    sqlx::query("checkpoint").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Runs a PostgreSQL client tool; its stdout on success, both streams in the error otherwise.
async fn run_tool(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .context("starting pgbench (it ships with the PostgreSQL server)")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "{}:\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

#[derive(Debug, PartialEq)]
pub struct PgbenchFigures {
    pub tps: f64,
    pub latency_avg_ms: Option<f64>,
    pub transactions: Option<u64>,
}

/// Reads the summary pgbench prints. The tps line to trust is the one without connection
/// set-up time: "(without initial connection time)" since PostgreSQL 14, "(excluding
/// connections establishing)" before.
pub fn parse_pgbench(output: &str) -> Option<PgbenchFigures> {
    let number_after = |line: &str, prefix: &str| -> Option<f64> {
        line.strip_prefix(prefix)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let mut tps = None;
    let mut latency_avg_ms = None;
    let mut transactions = None;
    for line in output.lines().map(str::trim) {
        if let Some(v) = number_after(line, "tps = ") {
            let excludes_connect =
                line.contains("without initial connection") || line.contains("excluding");
            if excludes_connect || tps.is_none() {
                tps = Some(v);
            }
        } else if let Some(v) = number_after(line, "latency average = ") {
            latency_avg_ms = Some(v);
        } else if let Some(v) = number_after(line, "number of transactions actually processed: ") {
            transactions = Some(v as u64);
        }
    }
    Some(PgbenchFigures {
        tps: tps?,
        latency_avg_ms,
        transactions,
    })
}

/// A bare axum app answering `GET /hello`, served on a runtime of its own in another thread so
/// it does not share worker threads with the load generator, just as `sous` (a separate
/// process) does not.
pub struct BareAxum {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The path of the bare app's sized route (see [`BareAxum::start_with_body`]).
pub const BODY_PATH: &str = "/body";

impl BareAxum {
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with_body(None)
    }

    /// The bare app, plus `GET /body` answering `body` (a static `Bytes`: no copy, no
    /// serialisation) with the given headers, for a scenario whose answers are that big.
    pub fn start_with_body(body: Option<(Bytes, HeaderMap)>) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("bare-axum")
            .build()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let mut app =
                    axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
                if let Some((body, headers)) = body {
                    app = app.route(
                        BODY_PATH,
                        axum::routing::get(move || {
                            let (body, headers) = (body.clone(), headers.clone());
                            async move { (headers, body) }
                        }),
                    );
                }
                // Dropping the serve future on shutdown, and then the runtime, ends every
                // connection task: no graceful drain to wait for.
                tokio::select! {
                    r = axum::serve(listener, app) => { let _ = r; }
                    _ = stopped => {}
                }
            });
        });
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl Drop for BareAxum {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The bare endpoint under the scenarios' load.
pub async fn bare_axum(cfg: &LoadConfig) -> anyhow::Result<LoadResult> {
    let server = BareAxum::start()?;
    let result = loadgen::run(&Target::get(server.addr, "/hello"), cfg).await;
    // Joining the server thread blocks; keep it off the async workers.
    tokio::task::spawn_blocking(move || drop(server)).await?;
    result
}

/// The bare app answering `body` (with `headers`) under `cfg`: the yardstick of a scenario
/// whose answers carry that many bytes, so both sides pay the same bytes on the wire.
pub async fn bare_axum_body(
    body: Bytes,
    headers: HeaderMap,
    cfg: &LoadConfig,
) -> anyhow::Result<LoadResult> {
    let len = body.len();
    let server = BareAxum::start_with_body(Some((body, headers)))?;
    let target = Target::get(server.addr, BODY_PATH).expecting_body_len(len);
    let result = loadgen::run(&target, cfg).await;
    tokio::task::spawn_blocking(move || drop(server)).await?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG15: &str = "\
pgbench (15.10 (Debian 15.10-0+deb12u1))
transaction type: <builtin: select only>
scaling factor: 1
query mode: simple
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 123456
number of failed transactions: 0 (0.000%)
latency average = 0.324 ms
initial connection time = 10.123 ms
tps = 24691.234567 (without initial connection time)
";

    const PG13: &str = "\
number of transactions actually processed: 5000
latency average = 1.600 ms
tps = 4900.000000 (including connections establishing)
tps = 5000.500000 (excluding connections establishing)
";

    #[test]
    fn parses_pgbench_15() {
        assert_eq!(
            parse_pgbench(PG15),
            Some(PgbenchFigures {
                tps: 24691.234567,
                latency_avg_ms: Some(0.324),
                transactions: Some(123456),
            })
        );
    }

    #[test]
    fn prefers_tps_without_connection_time() {
        assert_eq!(parse_pgbench(PG13).unwrap().tps, 5000.5);
    }

    #[test]
    fn no_tps_is_no_result() {
        assert_eq!(parse_pgbench("pgbench: error: connection failed\n"), None);
    }
}
