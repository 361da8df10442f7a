//! `make bench`: sous's benchmarks. Every figure is set against a baseline measured in the same
//! run on the same machine (pgbench, a bare axum endpoint), because absolute numbers alone mean
//! nothing on a shared 2-core machine (bench/README.md). The SSE fan-out and search at scale are
//! the exceptions: their targets (p99 commit → receipt, RSS per idle stream, p99 per search) are
//! absolute.
//!
//! The run: a throwaway PostgreSQL cluster (migrated, demo brand and menu seeded) → the baselines → the
//! scenarios against the real release `sous` binary → a table on stdout, a JSON file in
//! `bench/results/` and the table in `bench/README.md`. Targets are reported, not asserted: the
//! process exits 0 when a target is missed and non-zero only when the harness itself fails.

mod baseline;
mod catalog_scenarios;
mod checkout_scenarios;
mod cluster;
mod kds_scenarios;
mod loadgen;
mod queue;
mod report;
mod scenarios;
mod sous_proc;
mod sse_fanout;
mod web_scenarios;

use std::{path::PathBuf, pin::Pin, time::Duration};

use anyhow::Context;

use crate::{
    catalog_scenarios::CatalogConfig,
    checkout_scenarios::CheckoutConfig,
    kds_scenarios::KdsConfig,
    loadgen::LoadConfig,
    queue::QueueConfig,
    report::{Measured, Report, RunInfo},
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

/// The menu page's latency: one connection (a guest's browser), warm, 5 s.
pub const WEB_LOAD: LoadConfig = LoadConfig {
    connections: 1,
    warmup: Duration::from_secs(1),
    duration: Duration::from_secs(5),
    max_requests: 100_000,
    request_timeout: Duration::from_secs(10),
};

/// Cold-start repetitions; the median is what the target looks at.
pub const COLD_START_RUNS: usize = 10;

/// The SSE fan-out: 5 000 streams on one branch channel, 20 events 250 ms apart.
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

/// The catalog scenarios: the cached menu at 64 connections (and bare axum with a
/// body of the same size at 64), and search over 100 000 items (200 brands × 500 items, 5
/// branches each): its target on one connection for 10 s, its load figure at 8.
pub const CATALOG: CatalogConfig = CatalogConfig {
    menu_connections: 64,
    search_connections: 8,
    latency_window: Duration::from_secs(10),
    tenants: 200,
    branches_per_tenant: 5,
    items_per_tenant: 500,
    warm_concurrency: 2,
    warm_timeout: Duration::from_secs(600),
    sql_samples: 100,
};

/// The checkout: three lines with modifiers and cash, at 16 connections.
pub const CHECKOUT: CheckoutConfig = CheckoutConfig {
    connections: 16,
    lines: 3,
    warmup: Duration::from_secs(1),
    duration: Duration::from_secs(10),
    max_requests: 200_000,
};

/// The KDS scenario: orders placed and accepted at 50 a second for 10 s, each
/// ticket's arrival at a kitchen screen timed.
pub const KDS: KdsConfig = KdsConfig {
    rate: 50,
    orders: 500,
    drain: Duration::from_secs(5),
};

/// The queue scenario: the same no-op tasks through sous's workers and through
/// graphile-worker, the same number running at once on each side.
pub const QUEUE: QueueConfig = QueueConfig {
    tasks: 30_000,
    enqueue_batch: 1_000,
    rounds: 3,
    concurrency: 24,
    sous_workers: 1,
    // As `sous serve` / `sous worker` run it (crates/sous/src/background.rs).
    sous_batch_size: 96,
    // `WorkerConfig::default().max_claim_ahead`, which `sous worker` keeps.
    sous_max_claim_ahead: 512,
    sous_synchronous_commit: false,
    graphile_local_queue: 500,
    graphile_batch_delay_ms: 0,
    poll_interval: Duration::from_millis(10),
    round_timeout: Duration::from_secs(120),
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
    // `bench queue [key=value…]`: only the queue scenario, with settings changed, printed as
    // JSON and written nowhere (for trying worker settings; see bench/README.md).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("queue") {
        let cfg = queue::with_overrides(QUEUE, &args[1..])?;
        let graphile = root.join("bench/graphile");
        let env = cluster::BenchCluster::start().await?;
        let outcome = tokio::select! {
            r = queue::queue(&env, &graphile, &cfg) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        let stopped = env.stop().await;
        let bench = outcome?;
        stopped.context("stopping the benchmark cluster")?;
        println!("{}", serde_json::to_string_pretty(&bench)?);
        println!(
            "sous {:.0} tasks/s, graphile-worker {:.0} jobs/s, ratio {:.3}",
            bench.sous.median_tasks_per_s, bench.graphile.median_jobs_per_s, bench.ratio
        );
        return Ok(());
    }
    // `bench catalog [key=value…]`: only the catalog scenarios, likewise.
    // `bench catalog sql [key=value…]` prints the statements that write its data set instead.
    if args.first().map(String::as_str) == Some("catalog") {
        if args.get(1).map(String::as_str) == Some("sql") {
            let cfg = catalog_scenarios::with_overrides(CATALOG, &args[2..])?;
            for statement in catalog_scenarios::generation_sql(&cfg) {
                println!("{statement};");
            }
            return Ok(());
        }
        let cfg = catalog_scenarios::with_overrides(CATALOG, &args[1..])?;
        let bench = alone(move |launcher, env| {
            Box::pin(async move { catalog_scenarios::catalog(launcher, env, &cfg).await })
        })
        .await?;
        println!("{}", serde_json::to_string_pretty(&bench)?);
        println!("\n{}", report::catalog_table(&bench));
        return Ok(());
    }
    // `bench checkout`: only the checkout and its TPC-B baseline, likewise.
    if args.first().map(String::as_str) == Some("checkout") {
        let scenario = alone(|launcher, env| {
            Box::pin(async move {
                let tpcb = baseline::pgbench(env.pg(), baseline::TPC_B).await?;
                let bench = checkout_scenarios::checkout(launcher, env, &CHECKOUT).await?;
                anyhow::Ok(report::CheckoutScenario::new(bench, &tpcb))
            })
        })
        .await?;
        println!("{}", serde_json::to_string_pretty(&scenario)?);
        return Ok(());
    }
    // `bench sse`: only the SSE fan-out and memory per idle stream, likewise.
    if args.first().map(String::as_str) == Some("sse") {
        let bench =
            alone(|launcher, env| Box::pin(sse_fanout::sse_fanout(launcher, env, &FANOUT))).await?;
        println!("{}", serde_json::to_string_pretty(&bench)?);
        return Ok(());
    }
    // `bench kds`: only the kitchen display's latency under order flow, likewise.
    if args.first().map(String::as_str) == Some("kds") {
        let scenario = report::KdsScenario::new(
            alone(|launcher, _| Box::pin(kds_scenarios::kds(launcher, &KDS))).await?,
        );
        println!("{}", serde_json::to_string_pretty(&scenario)?);
        return Ok(());
    }
    // `bench web`: only the web app's budgets, likewise.
    if args.first().map(String::as_str) == Some("web") {
        let root = root.clone();
        let bench = alone(move |launcher, _| {
            Box::pin(async move { web_scenarios::web(launcher, &root, &WEB_LOAD).await })
        })
        .await?;
        println!("{}", serde_json::to_string_pretty(&bench)?);
        println!("\n{}", report::web_table(&bench));
        return Ok(());
    }
    anyhow::ensure!(
        args.is_empty(),
        "usage: bench [queue [key=value…] | catalog [sql] [key=value…] | checkout | sse | kds | web]"
    );
    let report = alone(|launcher, env| Box::pin(run(launcher, env))).await?;
    report.print();
    let json = report.write_json(&root.join("bench/results"))?;
    report.update_readme(&root.join("bench/README.md"))?;
    println!("\nwrote {} and bench/README.md", json.display());
    Ok(())
}

/// Baselines first, so a machine busy with something else shows up in them as much as in the
/// scenarios that follow; TPC-B just before the checkout, whose baseline it is.
async fn run(
    launcher: &sous_proc::Launcher,
    env: &cluster::BenchCluster,
) -> anyhow::Result<Report> {
    println!("baseline: pgbench (select-only, 8 clients, 5 s)…");
    let pgbench = baseline::pgbench(env.pg(), baseline::SELECT_ONLY).await?;
    println!("baseline: bare axum GET /hello…");
    let bare_axum = baseline::bare_axum(&LOAD).await?;

    println!("scenario: GET /api/health…");
    let server = launcher.start().await?;
    let health = scenarios::health(&server, &LOAD).await?;
    println!("scenario: POST /api/auth/login…");
    let login = scenarios::login(&server, &LOAD).await?;
    server.stop().await?;
    println!("scenario: cold start ×{COLD_START_RUNS}…");
    let cold_start = scenarios::cold_start(launcher, COLD_START_RUNS).await?;
    println!(
        "scenario: SSE fan-out, {} clients × {} events…",
        FANOUT.clients, FANOUT.events
    );
    let sse = sse_fanout::sse_fanout(launcher, env, &FANOUT).await?;
    println!(
        "scenario: catalog — cached menu at {} connections; search over {} items ({} brands × \
         {} branches) at 1 connection (target) and {} (load)…",
        CATALOG.menu_connections,
        CATALOG.tenants * CATALOG.items_per_tenant,
        CATALOG.tenants,
        CATALOG.branches_per_tenant,
        CATALOG.search_connections
    );
    let catalog = catalog_scenarios::catalog(launcher, env, &CATALOG).await?;
    // Right before the checkout it is the baseline of, as `bench checkout` does: this machine's
    // speed drifts by up to 30 % over a run, and the scenarios before are minutes long.
    println!("baseline: pgbench (TPC-B-like, scale 16, 16 clients, 5 s)…");
    let pgbench_tpcb = baseline::pgbench(env.pg(), baseline::TPC_B).await?;
    println!(
        "scenario: checkout, {} lines with modifiers + cash at {} connections…",
        CHECKOUT.lines, CHECKOUT.connections
    );
    let checkout = checkout_scenarios::checkout(launcher, env, &CHECKOUT).await?;
    println!(
        "scenario: KDS, {} orders placed and accepted at {}/s, ticket → kitchen screen…",
        KDS.orders, KDS.rate
    );
    let kds = kds_scenarios::kds(launcher, &KDS).await?;
    // Last: no `sous serve` may run now, its workers would take the benchmark's tasks.
    println!(
        "scenario: queue, {} no-op tasks × {} rounds, sous workers vs graphile-worker…",
        QUEUE.tasks, QUEUE.rounds
    );
    let queue = queue::queue(env, &workspace_root().join("bench/graphile"), &QUEUE).await?;
    println!(
        "scenario: web — GET {} warm on 1 connection, its JavaScript, the KDS latency…",
        web_scenarios::MENU_PAGE
    );
    let web = web_scenarios::web(launcher, &workspace_root(), &WEB_LOAD).await?;

    Ok(Report::new(
        RunInfo::collect(&workspace_root(), env.pg().install().version.clone()),
        Measured {
            pgbench,
            pgbench_tpcb,
            bare_axum,
            health,
            login,
            cold_start,
            sse,
            catalog,
            checkout,
            kds,
            queue,
            web,
        },
    ))
}

/// The workspace root, where `bench/` lives, wherever the binary is started from.
fn workspace_root() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    root.canonicalize().unwrap_or(root)
}

/// Runs the benchmarks — all of them, or one scenario alone (`bench catalog`, `bench checkout`,
/// …) — on a cluster of their own, and stops the cluster whatever happens, also on Ctrl-C,
/// which drops the scenario (and kills its `sous` children).
async fn alone<T>(
    scenario: impl for<'a> FnOnce(
        &'a sous_proc::Launcher,
        &'a cluster::BenchCluster,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<T>> + 'a>>,
) -> anyhow::Result<T> {
    let sous_bin = sous_binary()?;
    let env = cluster::BenchCluster::start().await?;
    let launcher = sous_proc::Launcher::new(&sous_bin, &env);
    let outcome = tokio::select! {
        r = scenario(&launcher, &env) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let stopped = env.stop().await;
    let out = outcome?;
    stopped.context("stopping the benchmark cluster")?;
    Ok(out)
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
