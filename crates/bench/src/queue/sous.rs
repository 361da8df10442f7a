//! sous's side: its workers (`platform::queue::Worker`) over `task_queue`.

use std::{
    str::FromStr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use platform::{
    db::Db,
    queue::{Handler, HandlerFuture, Registry, TaskCtx, Worker, WorkerConfig},
};
use serde_json::Value;
use sqlx::{
    Connection as _, PgConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{KIND, QueueConfig, Round, STEP_TIMEOUT, SousRound, batches};

/// Owner connections of each worker's pool: the LISTEN connection, one for claims and results
/// and a spare, as `sous worker` (crates/sous/src/background.rs) sets it up.
pub(super) const SOUS_POOL_CONNECTIONS: u32 = 3;

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

pub(super) async fn sous_round(owner_url: &str, cfg: &QueueConfig) -> anyhow::Result<SousRound> {
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
pub(super) fn worker_commits(before: (i64, i64), after: (i64, i64), polls: u64) -> u64 {
    (after.0 - before.0 - before.1 - polls as i64).max(0) as u64
}
