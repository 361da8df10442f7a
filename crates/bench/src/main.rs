//! `make bench`: sous's benchmarks. Every figure is set against a baseline measured in the same
//! run on the same machine (pgbench, a bare axum endpoint), because absolute numbers alone mean
//! nothing on a shared 2-core machine (DESIGN.md §7). The SSE fan-out (issue 4) is the
//! exception: its targets (p99 commit → receipt, RSS per idle stream) are absolute.
//!
//! The run: a throwaway PostgreSQL cluster (migrated, demo brand seeded) → the baselines → the
//! scenarios against the real release `sous` binary → a table on stdout, a JSON file in
//! `bench/results/` and the table in `bench/README.md`. Targets are reported, not asserted: the
//! process exits 0 when a target is missed and non-zero only when the harness itself fails.

mod baseline;
mod cluster;
mod loadgen;
mod report;
mod scenarios;
mod sous_proc;
mod sse_fanout;

use std::{path::PathBuf, time::Duration};

use anyhow::Context;

use crate::{
    loadgen::LoadConfig,
    report::{Report, RunInfo},
    sse_fanout::FanoutConfig,
};

/// How hard and how long each HTTP scenario pushes. Every loop is bounded by both a time and a
/// request count, so a run ends by itself even against a server that answers instantly.
pub const LOAD: LoadConfig = LoadConfig {
    connections: 32,
    warmup: Duration::from_secs(1),
    duration: Duration::from_secs(5),
    max_requests: 1_000_000,
    request_timeout: Duration::from_secs(10),
};

/// Cold-start repetitions; the median is what the target looks at.
pub const COLD_START_RUNS: usize = 10;

/// The SSE fan-out of issue 4: 5 000 streams on one branch channel, 20 events 250 ms apart.
pub const FANOUT: FanoutConfig = FanoutConfig {
    clients: 5_000,
    open_concurrency: 200,
    open_timeout: Duration::from_secs(10),
    open_phase: Duration::from_secs(90),
    settle: Duration::from_secs(1),
    events: 20,
    event_interval: Duration::from_millis(250),
    delivery_wait: Duration::from_secs(5),
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Quiet by default: the figures go to stdout, and the libraries' info logs would drown them.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let root = workspace_root();
    let sous_bin = sous_binary()?;
    let env = cluster::BenchCluster::start().await?;

    // Ctrl-C still tears the cluster down: the run future is dropped (its `sous` children are
    // killed on drop) and the cluster is stopped below either way.
    let outcome = tokio::select! {
        r = run(&env, &sous_bin) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let stopped = env.stop().await;
    let report = outcome?;
    stopped.context("stopping the benchmark cluster")?;

    report.print();
    let json = report.write_json(&root.join("bench/results"))?;
    report.update_readme(&root.join("bench/README.md"))?;
    println!("\nwrote {} and bench/README.md", json.display());
    Ok(())
}

/// Baselines first, so a machine busy with something else shows up in them as much as in the
/// scenarios that follow.
async fn run(env: &cluster::BenchCluster, sous_bin: &std::path::Path) -> anyhow::Result<Report> {
    println!("baseline: pgbench (select-only, 8 clients, 5 s)…");
    let pgbench = baseline::pgbench(env.pg()).await?;
    println!("baseline: bare axum GET /hello…");
    let bare_axum = baseline::bare_axum(&LOAD).await?;

    let launcher = sous_proc::Launcher::new(sous_bin, env);
    println!("scenario: GET /api/health…");
    let server = launcher.start().await?;
    let health = scenarios::health(&server, &LOAD).await?;
    println!("scenario: POST /api/auth/login…");
    let login = scenarios::login(&server, &LOAD).await?;
    server.stop().await?;
    println!("scenario: cold start ×{COLD_START_RUNS}…");
    let cold_start = scenarios::cold_start(&launcher, COLD_START_RUNS).await?;
    println!(
        "scenario: SSE fan-out, {} clients × {} events…",
        FANOUT.clients, FANOUT.events
    );
    let sse = sse_fanout::sse_fanout(&launcher, env, &FANOUT).await?;

    Ok(Report::new(
        RunInfo::collect(&workspace_root(), env.pg().install().version.clone()),
        pgbench,
        bare_axum,
        health,
        login,
        cold_start,
        sse,
    ))
}

/// The workspace root, where `bench/` lives, wherever the binary is started from.
fn workspace_root() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    root.canonicalize().unwrap_or(root)
}

/// The release `sous` sits next to this binary (`target/release/`), built by `make bench`.
fn sous_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let bin = exe.with_file_name("sous");
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing; build it first with `cargo build --release -p sous` (`make bench` does)",
        bin.display()
    );
    Ok(bin)
}
