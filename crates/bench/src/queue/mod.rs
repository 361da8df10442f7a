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

mod graphile;
mod sous;

use std::{path::Path, time::Duration};

use anyhow::{Context, bail, ensure};
use serde::{Deserialize, Serialize};

use self::{
    graphile::{ensure_graphile_installed, graphile_round, graphile_url},
    sous::{SOUS_POOL_CONNECTIONS, sous_round},
};
use crate::{cluster::BenchCluster, scenarios::percentile};

/// The task kind of the benchmark's no-op tasks (sous) and jobs (graphile-worker).
pub const KIND: &str = "bench.noop";
/// The database graphile-worker gets, on the bench cluster.
pub const GRAPHILE_DATABASE: &str = "graphile";
/// Bounds of the harness's own statements and of stopping the workers.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(30);

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
    use super::{
        graphile::{graphile_args, parse_graphile},
        sous::worker_commits,
        *,
    };

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
