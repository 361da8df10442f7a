//! The task-queue benchmark: no-op tasks per second through sous's workers
//! (`platform::queue::Worker`, the code `sous worker` runs) against graphile-worker 0.17 on Node
//! (`bench/graphile/run.mjs`), on the same PostgreSQL (the bench cluster), on the same machine, in
//! the same run. sous's tasks go to `task_queue` in the `sous` database, graphile's jobs to its
//! own schema in a dedicated `graphile` database.
//!
//! Each side, per round: N tasks enqueued in bulk (1 000 per statement), the table vacuumed and
//! analysed, then the clock starts, the workers start (connecting their pools is timed) and the
//! harness polls every `poll_interval` whether any task is left; the clock stops at the first
//! poll that finds none. Rounds alternate which side goes first; the median rate of each side
//! and their ratio are reported. Every phase is bounded in time.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    str::FromStr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use platform::{
    db::Db,
    embedded_pg::EmbeddedPg,
    queue::{Handler, HandlerFuture, Registry, TaskCtx, Worker, WorkerConfig},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{
    Connection as _, PgConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tokio::{process::Command, task::JoinSet};
use tokio_util::sync::CancellationToken;

use crate::{cluster::BenchCluster, scenarios::percentile};

/// The task kind of the benchmark's no-op tasks (sous) and jobs (graphile-worker).
pub const KIND: &str = "bench.noop";
/// The database graphile-worker gets, on the bench cluster.
pub const GRAPHILE_DATABASE: &str = "graphile";
/// Bounds of the harness's own statements and of stopping the workers.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// `npm ci` of bench/graphile when its node_modules is missing.
const NPM_TIMEOUT: Duration = Duration::from_secs(300);
/// The Node side's migrations, bulk add and shutdown, on top of the round's own bound.
const NODE_OVERHEAD: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
pub struct QueueConfig {
    /// No-op tasks per round, per side.
    pub tasks: u64,
    /// Tasks per enqueueing statement, both sides.
    pub enqueue_batch: u64,
    /// Rounds per side; the medians are compared.
    pub rounds: usize,
    /// Tasks running at once, per side: sous's `WorkerConfig::concurrency` summed over its
    /// workers, graphile-worker's `concurrency` (one pool).
    pub concurrency: usize,
    /// sous: `Worker`s in the process (each with `concurrency / workers` slots and a pool of 3
    /// connections, as `sous worker` sets one up).
    pub sous_workers: usize,
    /// sous: `WorkerConfig::batch_size`, the claimed tasks a worker keeps waiting at least.
    pub sous_batch_size: usize,
    /// sous: `WorkerConfig::max_claim_ahead`, the claimed tasks a worker keeps waiting at most.
    pub sous_max_claim_ahead: usize,
    /// graphile-worker: `localQueue.size`, jobs fetched and locked per query (-1: off).
    pub graphile_local_queue: i64,
    /// graphile-worker: `completeJobBatchDelay` and `failJobBatchDelay` in ms (-1: one
    /// statement per completion).
    pub graphile_batch_delay_ms: i64,
    /// sous: `synchronous_commit` of the workers' connections (`true`: the server's default,
    /// as `sous worker` runs; `false` only to try what waiting for the WAL flush costs).
    pub sous_synchronous_commit: bool,
    /// How often the harness looks whether tasks are left (the clock's resolution).
    pub poll_interval: Duration,
    /// A round gives up when its tasks are not all done after this.
    pub round_timeout: Duration,
}

/// One side's round.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Round {
    /// Tasks done when the clock stopped (all of them unless the round timed out).
    pub processed: u64,
    pub complete: bool,
    /// Worker start → the first poll that found no task left.
    pub elapsed_s: f64,
    pub tasks_per_s: f64,
    /// Enqueueing the tasks (not timed against the target; for context).
    pub enqueue_s: f64,
    /// Polls of the harness during the round.
    pub polls: u64,
    /// Transactions the workers committed in the round (`pg_stat_database.xact_commit` of the
    /// side's database, less the harness's own): claims, completions, heart-beats.
    pub commits: u64,
    pub commits_per_task: f64,
}

/// sous's round, with the checks the final counts allow.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SousRound {
    #[serde(flatten)]
    pub round: Round,
    /// Tasks that ended `failed` (a no-op never should).
    pub failed: u64,
    /// Tasks claimed more than once (`attempts > 1`): none may be.
    pub run_twice: u64,
}

/// What `bench/graphile/run.mjs` prints: one line of JSON.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct GraphileRound {
    pub graphile_worker: String,
    pub node: String,
    pub jobs: u64,
    pub processed: u64,
    /// Runs of the no-op task counted in the Node process.
    pub handler_runs: u64,
    pub complete: bool,
    pub concurrency: usize,
    pub local_queue_size: i64,
    pub complete_job_batch_delay_ms: i64,
    pub fail_job_batch_delay_ms: i64,
    pub max_pool_size: usize,
    pub add_s: f64,
    pub elapsed_s: f64,
    pub jobs_per_s: f64,
    pub polls: u64,
    /// Transactions the worker pool committed during the round (fetches, completions).
    pub commits: u64,
    pub commits_per_job: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SousSide {
    pub workers: usize,
    /// Slots per worker (`WorkerConfig::concurrency`).
    pub concurrency_per_worker: usize,
    pub batch_size: usize,
    pub max_claim_ahead: usize,
    pub synchronous_commit: bool,
    /// Owner connections per worker (one of them holds the LISTEN).
    pub pool_connections_per_worker: u32,
    pub rounds: Vec<SousRound>,
    pub median_tasks_per_s: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct GraphileSide {
    pub version: String,
    pub node: String,
    pub concurrency: usize,
    pub local_queue_size: i64,
    pub complete_job_batch_delay_ms: i64,
    pub fail_job_batch_delay_ms: i64,
    pub max_pool_size: usize,
    pub rounds: Vec<GraphileRound>,
    pub median_jobs_per_s: f64,
}

/// What the queue scenario measured.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct QueueBench {
    pub tasks: u64,
    pub rounds: usize,
    /// Tasks running at once, each side.
    pub concurrency: usize,
    pub poll_interval_ms: f64,
    pub sous: SousSide,
    pub graphile: GraphileSide,
    /// sous median / graphile-worker median.
    pub ratio: f64,
    /// Every round of both sides did all its tasks in time, none failed and none ran twice.
    pub all_done: bool,
}

/// Runs both sides `cfg.rounds` times, alternating which goes first.
pub async fn queue(
    cluster: &BenchCluster,
    graphile_dir: &Path,
    cfg: &QueueConfig,
) -> anyhow::Result<QueueBench> {
    ensure!(
        cfg.rounds > 0 && cfg.tasks > 0 && cfg.enqueue_batch > 0,
        "the queue benchmark needs rounds, tasks and a batch size"
    );
    ensure!(
        cfg.sous_workers > 0 && cfg.concurrency.is_multiple_of(cfg.sous_workers),
        "the concurrency ({}) must split evenly over the sous workers ({})",
        cfg.concurrency,
        cfg.sous_workers
    );
    ensure_graphile_installed(graphile_dir).await?;
    cluster.pg().ensure_database(GRAPHILE_DATABASE).await?;
    let graphile_url = graphile_url(cluster.pg());
    let owner_url = cluster.owner_url();

    let mut sous_rounds = Vec::with_capacity(cfg.rounds);
    let mut graphile_rounds = Vec::with_capacity(cfg.rounds);
    for r in 0..cfg.rounds {
        let sous_first = r % 2 == 1;
        if sous_first {
            sous_rounds.push(sous_round(&owner_url, cfg).await?);
        }
        graphile_rounds.push(graphile_round(graphile_dir, &graphile_url, cfg).await?);
        if !sous_first {
            sous_rounds.push(sous_round(&owner_url, cfg).await?);
        }
        let (s, g) = (&sous_rounds[r].round, &graphile_rounds[r]);
        println!(
            "  round {}: sous {:.0} tasks/s ({:.2} s), graphile-worker {:.0} jobs/s ({:.2} s)",
            r + 1,
            s.tasks_per_s,
            s.elapsed_s,
            g.jobs_per_s,
            g.elapsed_s
        );
    }
    Ok(summarise(cfg, sous_rounds, graphile_rounds))
}

fn summarise(
    cfg: &QueueConfig,
    sous_rounds: Vec<SousRound>,
    graphile_rounds: Vec<GraphileRound>,
) -> QueueBench {
    let sous_median = median(sous_rounds.iter().map(|r| r.round.tasks_per_s));
    let graphile_median = median(graphile_rounds.iter().map(|r| r.jobs_per_s));
    let all_done = sous_rounds
        .iter()
        .all(|r| r.round.complete && r.failed == 0 && r.run_twice == 0)
        && graphile_rounds.iter().all(|r| r.complete);
    let first = graphile_rounds.first();
    QueueBench {
        tasks: cfg.tasks,
        rounds: cfg.rounds,
        concurrency: cfg.concurrency,
        poll_interval_ms: cfg.poll_interval.as_secs_f64() * 1000.0,
        sous: SousSide {
            workers: cfg.sous_workers,
            concurrency_per_worker: cfg.concurrency / cfg.sous_workers,
            batch_size: cfg.sous_batch_size,
            max_claim_ahead: cfg.sous_max_claim_ahead,
            synchronous_commit: cfg.sous_synchronous_commit,
            pool_connections_per_worker: SOUS_POOL_CONNECTIONS,
            rounds: sous_rounds,
            median_tasks_per_s: sous_median,
        },
        graphile: GraphileSide {
            version: first.map(|g| g.graphile_worker.clone()).unwrap_or_default(),
            node: first.map(|g| g.node.clone()).unwrap_or_default(),
            concurrency: cfg.concurrency,
            local_queue_size: cfg.graphile_local_queue,
            complete_job_batch_delay_ms: cfg.graphile_batch_delay_ms,
            fail_job_batch_delay_ms: cfg.graphile_batch_delay_ms,
            max_pool_size: first.map_or(0, |g| g.max_pool_size),
            rounds: graphile_rounds,
            median_jobs_per_s: graphile_median,
        },
        ratio: sous_median / graphile_median,
        all_done,
    }
}

/// `cfg` with `key=value` settings applied (`bench queue tasks=50000 batch=64 …`). Keys: tasks,
/// rounds, concurrency, workers, batch (sous's batch size), claim_ahead (sous's max claim-ahead),
/// sync_commit (on/off, sous's worker
/// connections), local_queue and batch_delay (graphile-worker's, -1 turns them off), timeout (s).
pub fn with_overrides(mut cfg: QueueConfig, args: &[String]) -> anyhow::Result<QueueConfig> {
    for arg in args {
        let (key, value) = arg
            .split_once('=')
            .with_context(|| format!("`{arg}`: expected key=value"))?;
        let bad = || format!("`{arg}`: not a number");
        match key {
            "tasks" => cfg.tasks = value.parse().with_context(bad)?,
            "rounds" => cfg.rounds = value.parse().with_context(bad)?,
            "concurrency" => cfg.concurrency = value.parse().with_context(bad)?,
            "workers" => cfg.sous_workers = value.parse().with_context(bad)?,
            "batch" => cfg.sous_batch_size = value.parse().with_context(bad)?,
            "claim_ahead" => cfg.sous_max_claim_ahead = value.parse().with_context(bad)?,
            "local_queue" => cfg.graphile_local_queue = value.parse().with_context(bad)?,
            "batch_delay" => cfg.graphile_batch_delay_ms = value.parse().with_context(bad)?,
            "sync_commit" => {
                cfg.sous_synchronous_commit = match value {
                    "on" => true,
                    "off" => false,
                    _ => bail!("`{arg}`: on or off"),
                }
            }
            "timeout" => cfg.round_timeout = Duration::from_secs(value.parse().with_context(bad)?),
            _ => bail!(
                "unknown setting `{key}` (tasks, rounds, concurrency, workers, batch, \
                 claim_ahead, sync_commit, local_queue, batch_delay, timeout)"
            ),
        }
    }
    Ok(cfg)
}

/// The median of a non-empty series (0 for an empty one).
pub fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

/// Sizes of the enqueueing statements: `total` split into chunks of at most `batch`.
pub fn batches(total: u64, batch: u64) -> impl Iterator<Item = u64> {
    let batch = batch.max(1);
    (0..total.div_ceil(batch)).map(move |i| batch.min(total - i * batch))
}

// ---------------------------------------------------------------------------------------------
// sous

/// Owner connections of each worker's pool: the LISTEN connection, one for claims and results
/// and a spare, as `sous worker` (crates/sous/src/background.rs) sets it up.
const SOUS_POOL_CONNECTIONS: u32 = 3;

/// The no-op handler: what is measured is the queue, not the work.
struct NoOp;

impl Handler for NoOp {
    fn run<'a>(&'a self, _ctx: &'a TaskCtx, _payload: Value) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

async fn step<T>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(STEP_TIMEOUT, fut)
        .await
        .with_context(|| format!("{what}: no answer within {STEP_TIMEOUT:?}"))?
        .with_context(|| what.to_string())
}

async fn sous_round(owner_url: &str, cfg: &QueueConfig) -> anyhow::Result<SousRound> {
    let mut db = step("connecting to sous", PgConnection::connect(owner_url)).await?;
    // The previous round's tasks; nothing else may be waiting (it would be claimed, and fail
    // for want of a handler, or hold the clock).
    step(
        "clearing the previous round",
        sqlx::query("delete from task_queue where kind = $1")
            .bind(KIND)
            .execute(&mut db),
    )
    .await?;
    let busy: i64 = step(
        "looking at the queue",
        sqlx::query_scalar(
            "select count(*) from task_queue where status in ('pending', 'running')",
        )
        .fetch_one(&mut db),
    )
    .await?;
    ensure!(
        busy == 0,
        "task_queue already has {busy} pending or running tasks; is a sous worker running \
         against the bench cluster?"
    );

    let began = Instant::now();
    for n in batches(cfg.tasks, cfg.enqueue_batch) {
        step(
            "enqueueing the no-op tasks",
            sqlx::query(
                "insert into task_queue (kind, payload) \
                 select $1, '{}'::jsonb from generate_series(1, $2)",
            )
            .bind(KIND)
            .bind(n as i64)
            .execute(&mut db),
        )
        .await?;
    }
    let enqueue_s = began.elapsed().as_secs_f64();
    step(
        "vacuum analyze task_queue",
        sqlx::query("vacuum analyze task_queue").execute(&mut db),
    )
    .await?;
    // The set-up connection goes before the commits are counted (its statistics are written when
    // its backend exits).
    db.close().await.ok();
    let commits_before = commits(owner_url).await?;

    // Handlers would get the application pool; the no-op never uses it. Not timed: in
    // `sous serve` it is the HTTP side's pool, and `sous worker` opens it before the workers.
    let app = Db::connect(owner_url, None, 1).await?;
    let mut registry = Registry::new();
    registry.register(KIND, NoOp);
    let registry = Arc::new(registry);
    let config = WorkerConfig {
        concurrency: cfg.concurrency / cfg.sous_workers,
        batch_size: cfg.sous_batch_size,
        max_claim_ahead: cfg.sous_max_claim_ahead,
        ..WorkerConfig::default()
    };
    let mut options = PgConnectOptions::from_str(owner_url)?.application_name("sous-worker");
    if !cfg.sous_synchronous_commit {
        options = options.options([("synchronous_commit", "off")]);
    }
    let mut poll = step(
        "connecting the poll",
        PgConnection::connect_with(
            &PgConnectOptions::from_str(owner_url)?.application_name("bench-queue-poll"),
        ),
    )
    .await?;

    let shutdown = CancellationToken::new();
    let mut workers = JoinSet::new();
    let t0 = Instant::now();
    let deadline = t0 + cfg.round_timeout;
    let outcome = async {
        for _ in 0..cfg.sous_workers {
            let pool = PgPoolOptions::new()
                .max_connections(SOUS_POOL_CONNECTIONS)
                // As `sous worker` sets it up: no ping before each statement (sqlx still tests
                // a connection when it goes back to the pool).
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await
                .context("connecting a task worker")?;
            let worker = Worker::new(pool.clone(), app.clone(), registry.clone(), config.clone())?;
            let token = shutdown.clone();
            workers.spawn(async move {
                let result = worker.run(token).await;
                pool.close().await;
                result
            });
        }
        let mut polls = 0u64;
        loop {
            let left: bool = step(
                "polling the queue",
                sqlx::query_scalar(
                    // Each side reads one partial index; neither scans the finished tasks.
                    "select exists (select 1 from task_queue where status = 'pending') \
                         or exists (select 1 from task_queue where status = 'running')",
                )
                .fetch_one(&mut poll),
            )
            .await?;
            polls += 1;
            if !left {
                return Ok::<_, anyhow::Error>((true, t0.elapsed(), polls));
            }
            if let Some(ended) = workers.try_join_next() {
                bail!("a sous worker ended during the round: {:?}", ended?.err());
            }
            if Instant::now() >= deadline {
                return Ok((false, t0.elapsed(), polls));
            }
            tokio::time::sleep(cfg.poll_interval).await;
        }
    }
    .await;
    shutdown.cancel();
    let stopped = tokio::time::timeout(STEP_TIMEOUT, async {
        while let Some(joined) = workers.join_next().await {
            joined??;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await;
    app.pool.close().await;
    poll.close().await.ok();
    let (complete, elapsed, polls) = outcome?;
    stopped
        .with_context(|| format!("the sous workers did not stop within {STEP_TIMEOUT:?}"))?
        .context("a sous worker failed")?;
    let commits = worker_commits(commits_before, commits(owner_url).await?, polls);

    let mut db = step("connecting to sous", PgConnection::connect(owner_url)).await?;
    let (done, failed, run_twice): (i64, i64, i64) = step(
        "counting the results",
        sqlx::query_as(
            "select count(*) filter (where status = 'done'), \
                    count(*) filter (where status = 'failed'), \
                    count(*) filter (where attempts > 1) \
             from task_queue where kind = $1",
        )
        .bind(KIND)
        .fetch_one(&mut db),
    )
    .await?;
    db.close().await.ok();
    let elapsed_s = elapsed.as_secs_f64();
    Ok(SousRound {
        round: Round {
            processed: done as u64,
            complete: complete && done as u64 == cfg.tasks,
            elapsed_s,
            tasks_per_s: done as f64 / elapsed_s,
            enqueue_s,
            polls,
            commits,
            commits_per_task: commits as f64 / cfg.tasks as f64,
        },
        failed: failed as u64,
        run_twice: run_twice as u64,
    })
}

/// `xact_commit` of the database `url` names, once every other client has left it: a backend
/// writes its statistics when it exits (or at most once a second while it runs), so waiting for
/// the round's connections to go makes the count whole. Bounded by `STEP_TIMEOUT`. Also returns
/// how many transactions the reading itself committed (counted once its connection is gone).
async fn commits(url: &str) -> anyhow::Result<(i64, i64)> {
    let mut conn = step("connecting for statistics", PgConnection::connect(url)).await?;
    let give_up = Instant::now() + STEP_TIMEOUT;
    let mut own = 1;
    loop {
        own += 1;
        let others: i64 = step(
            "waiting for the round's connections to close",
            sqlx::query_scalar(
                "select count(*) from pg_stat_activity where datname = current_database() \
                 and pid <> pg_backend_pid() and backend_type = 'client backend'",
            )
            .fetch_one(&mut conn),
        )
        .await?;
        if others == 0 || Instant::now() >= give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A fresh snapshot of the statistics, not the one this transaction may have cached.
    let n = step(
        "reading xact_commit",
        sqlx::query_scalar(
            "select xact_commit from pg_stat_database where datname = current_database()",
        )
        .fetch_one(&mut conn),
    )
    .await?;
    conn.close().await.ok();
    Ok((n, own))
}

/// Commits of the workers during a round: the database's, less the harness's polls and the
/// statistics reading before the round (`(xact_commit, its own transactions)` each).
pub fn worker_commits(before: (i64, i64), after: (i64, i64), polls: u64) -> u64 {
    (after.0 - before.0 - before.1 - polls as i64).max(0) as u64
}

// ---------------------------------------------------------------------------------------------
// graphile-worker

/// The graphile database over the cluster's unix socket, in the form node-postgres reads
/// (`?host=<socket dir>` overrides the host part).
fn graphile_url(pg: &EmbeddedPg) -> String {
    pg.url(GRAPHILE_DATABASE)
}

/// `npm ci` from the committed lock file when `node_modules` is missing (`make bench` does it
/// before; this covers running the binary directly). Never anything but the registry's tarballs.
async fn ensure_graphile_installed(dir: &Path) -> anyhow::Result<()> {
    if dir
        .join("node_modules/graphile-worker/package.json")
        .is_file()
    {
        return Ok(());
    }
    println!("  installing bench/graphile (npm ci)…");
    let out = tokio::time::timeout(
        NPM_TIMEOUT,
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .with_context(|| format!("npm ci in {} took over {NPM_TIMEOUT:?}", dir.display()))?
    .context("running npm (Node 20 and npm are needed for the graphile-worker peer)")?;
    if !out.status.success() {
        bail!(
            "npm ci in {} failed ({}):\n{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The arguments of `node run.mjs` for one round.
pub fn graphile_args(url: &str, cfg: &QueueConfig) -> Vec<String> {
    let timeout_s = cfg.round_timeout.as_secs().max(1);
    let poll_ms = cfg.poll_interval.as_millis().max(1);
    let delay = cfg.graphile_batch_delay_ms.to_string();
    [
        ("--url", url.to_string()),
        ("--jobs", cfg.tasks.to_string()),
        ("--add-batch", cfg.enqueue_batch.to_string()),
        ("--concurrency", cfg.concurrency.to_string()),
        ("--local-queue", cfg.graphile_local_queue.to_string()),
        ("--complete-batch-delay", delay.clone()),
        ("--fail-batch-delay", delay),
        ("--poll-ms", poll_ms.to_string()),
        ("--timeout", timeout_s.to_string()),
    ]
    .into_iter()
    // `--key=value`: node's parseArgs takes a separate "-1" for an option of its own.
    .map(|(k, v)| format!("{k}={v}"))
    .collect()
}

/// The result line of run.mjs: the last line of stdout that parses.
pub fn parse_graphile(stdout: &str) -> anyhow::Result<GraphileRound> {
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line.trim()).ok())
        .with_context(|| format!("no result line in the graphile-worker output:\n{stdout}"))
}

async fn graphile_round(dir: &Path, url: &str, cfg: &QueueConfig) -> anyhow::Result<GraphileRound> {
    let script: PathBuf = dir.join("run.mjs");
    let bound = cfg.round_timeout + NODE_OVERHEAD;
    let out = tokio::time::timeout(
        bound,
        Command::new("node")
            .arg(&script)
            .args(graphile_args(url, cfg))
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .with_context(|| format!("graphile-worker's round took over {bound:?}"))?
    .context("starting node (Node 20 is needed for the graphile-worker peer)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{} failed ({}):\n{stdout}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let round = parse_graphile(&stdout)?;
    ensure!(
        round.jobs == cfg.tasks,
        "graphile-worker ran {} jobs, {} were asked for",
        round.jobs,
        cfg.tasks
    );
    Ok(round)
}

/// A measured queue scenario for other modules' tests: sous at `sous_per_s`, graphile-worker at
/// 10 000 jobs/s, two rounds each.
#[cfg(test)]
pub fn sample(sous_per_s: f64) -> QueueBench {
    let g: GraphileRound = serde_json::from_str(tests::LINE).unwrap();
    let g = GraphileRound {
        jobs_per_s: 10_000.0,
        ..g
    };
    summarise(
        &tests::cfg(),
        vec![tests::sous(sous_per_s, 0), tests::sous(sous_per_s, 0)],
        vec![g.clone(), g],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn cfg() -> QueueConfig {
        QueueConfig {
            tasks: 2_500,
            enqueue_batch: 1_000,
            rounds: 2,
            concurrency: 16,
            sous_workers: 1,
            sous_batch_size: 16,
            sous_max_claim_ahead: 512,
            graphile_local_queue: 100,
            graphile_batch_delay_ms: 0,
            sous_synchronous_commit: true,
            poll_interval: Duration::from_millis(10),
            round_timeout: Duration::from_secs(120),
        }
    }

    #[test]
    fn applies_overrides() {
        let args: Vec<String> = [
            "tasks=100",
            "workers=2",
            "batch=64",
            "claim_ahead=256",
            "local_queue=-1",
            "sync_commit=off",
        ]
        .map(String::from)
        .into();
        let c = with_overrides(cfg(), &args).unwrap();
        assert_eq!(
            (
                c.tasks,
                c.sous_workers,
                c.sous_batch_size,
                c.graphile_local_queue
            ),
            (100, 2, 64, -1)
        );
        assert!(!c.sous_synchronous_commit);
        assert_eq!(c.sous_max_claim_ahead, 256);
        assert!(with_overrides(cfg(), &["sync_commit=maybe".into()]).is_err());
        assert_eq!(c.concurrency, 16);
        assert!(with_overrides(cfg(), &["nope=1".into()]).is_err());
        assert!(with_overrides(cfg(), &["tasks".into()]).is_err());
        assert!(with_overrides(cfg(), &["tasks=x".into()]).is_err());
    }

    #[test]
    fn splits_the_enqueue_into_batches() {
        assert_eq!(
            batches(2_500, 1_000).collect::<Vec<_>>(),
            [1_000, 1_000, 500]
        );
        assert_eq!(batches(2_000, 1_000).collect::<Vec<_>>(), [1_000, 1_000]);
        assert_eq!(batches(3, 0).collect::<Vec<_>>(), [1, 1, 1]);
        assert_eq!(batches(0, 10).count(), 0);
    }

    #[test]
    fn counts_only_the_workers_commits() {
        // 1 000 commits in the database: 40 polls, 3 of the reading before; the rest the workers'.
        assert_eq!(worker_commits((5_000, 3), (6_000, 2), 40), 957);
        // Statistics that have not moved (never negative).
        assert_eq!(worker_commits((5_000, 3), (5_000, 2), 40), 0);
    }

    #[test]
    fn medians() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0].into_iter()), 2.5);
        assert_eq!(median(std::iter::empty()), 0.0);
    }

    #[test]
    fn builds_the_node_arguments() {
        let off = QueueConfig {
            graphile_local_queue: -1,
            graphile_batch_delay_ms: -1,
            ..cfg()
        };
        let args = graphile_args(
            "postgres://sous@localhost/graphile?host=/tmp/x&port=5432",
            &off,
        );
        let joined = args.join(" ");
        assert_eq!(
            joined,
            "--url=postgres://sous@localhost/graphile?host=/tmp/x&port=5432 --jobs=2500 \
             --add-batch=1000 --concurrency=16 --local-queue=-1 --complete-batch-delay=-1 \
             --fail-batch-delay=-1 --poll-ms=10 --timeout=120"
        );
    }

    pub(super) const LINE: &str = r#"{"peer":"graphile-worker","graphile_worker":"0.17.3","node":"20.20.2","jobs":2500,"processed":2500,"handler_runs":2500,"complete":true,"concurrency":16,"local_queue_size":100,"complete_job_batch_delay_ms":0,"fail_job_batch_delay_ms":0,"max_pool_size":18,"add_s":0.4,"elapsed_s":0.5,"jobs_per_s":5000,"polls":40,"poll_ms":10,"commits":30,"commits_per_job":0.012}"#;

    #[test]
    fn parses_the_graphile_result_line() {
        let r = parse_graphile(&format!("some log\n{LINE}\n")).unwrap();
        assert_eq!(r.graphile_worker, "0.17.3");
        assert_eq!(r.jobs, 2_500);
        assert!(r.complete);
        assert_eq!(r.jobs_per_s, 5_000.0);
        assert!(parse_graphile("no json here\n").is_err());
    }

    pub(super) fn sous(per_s: f64, failed: u64) -> SousRound {
        SousRound {
            round: Round {
                processed: 2_500,
                complete: true,
                elapsed_s: 2_500.0 / per_s,
                tasks_per_s: per_s,
                enqueue_s: 0.1,
                polls: 10,
                commits: 200,
                commits_per_task: 0.08,
            },
            failed,
            run_twice: 0,
        }
    }

    #[test]
    fn compares_the_medians() {
        let g: GraphileRound = serde_json::from_str(LINE).unwrap();
        let g2 = GraphileRound {
            jobs_per_s: 3_000.0,
            ..g.clone()
        };
        let b = summarise(
            &cfg(),
            vec![sous(6_000.0, 0), sous(2_000.0, 0)],
            vec![g, g2],
        );
        assert_eq!(b.sous.median_tasks_per_s, 4_000.0);
        assert_eq!(b.graphile.median_jobs_per_s, 4_000.0);
        assert_eq!(b.ratio, 1.0);
        assert!(b.all_done);
        assert_eq!(b.graphile.version, "0.17.3");
        let failed = summarise(
            &cfg(),
            vec![sous(6_000.0, 1)],
            vec![serde_json::from_str(LINE).unwrap()],
        );
        assert!(!failed.all_done);
    }
}
