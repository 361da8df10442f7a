//! A worker: one loop that claims batches of due tasks, runs them concurrently up to its
//! concurrency, and records their results in batches. Any number of workers, in one process or
//! many, share the queue; SKIP LOCKED gives each task to one of them.

use std::{
    any::Any, collections::VecDeque, future::Future, panic::AssertUnwindSafe, sync::Arc,
    time::Duration,
};

use anyhow::anyhow;
use futures::FutureExt;
use sqlx::{PgPool, postgres::PgListener};
use tokio::{
    sync::Notify,
    task::{JoinError, JoinSet},
    time::{Instant, MissedTickBehavior, interval, interval_at},
};
use tokio_util::sync::CancellationToken;

use super::{
    CHANNEL, Permanent, Registry, TaskCtx, backoff,
    repo::{self, ClaimedTask, Failure},
};
use crate::{db::Db, error::Result};

/// Longest error text kept in `last_error`.
const MAX_ERROR_CHARS: usize = 4000;

/// How long finished runs may wait to be written with others: one commit for a round of
/// results instead of one per task, at the cost of a few milliseconds.
const RECORD_DELAY: Duration = Duration::from_millis(5);

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Tasks run at the same time.
    pub concurrency: usize,
    /// Most tasks claimed by one query. The worker claims ahead of its free slots and keeps up
    /// to this many claimed tasks waiting, so a slot that frees up starts the next task without
    /// a database round trip and claims stay large (one commit for many tasks).
    pub batch_size: usize,
    /// How often to look for due tasks without a notification: tasks whose `run_at` was in the
    /// future when they were inserted, retries, rescued tasks, notifications lost while the
    /// listening connection was down.
    pub poll_interval: Duration,
    pub heartbeat_interval: Duration,
    /// A worker not seen for this long is dead; its running tasks are rescued.
    pub heartbeat_timeout: Duration,
    pub rescue_interval: Duration,
    /// A run that takes longer fails (and is retried).
    pub task_timeout: Duration,
    /// A task locked for longer is rescued even if its worker still heart-beats. Larger than
    /// `task_timeout`, so it only catches a worker that is alive but stuck.
    pub lock_timeout: Duration,
    /// Retry delay: `min(backoff_base × 2^attempts, backoff_max) ± 20 %`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            batch_size: 16,
            poll_interval: Duration::from_secs(1),
            heartbeat_interval: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(30),
            rescue_interval: Duration::from_secs(15),
            task_timeout: Duration::from_secs(15 * 60),
            lock_timeout: Duration::from_secs(60 * 60),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60 * 60),
        }
    }
}

impl WorkerConfig {
    fn check(&self) -> anyhow::Result<()> {
        if self.concurrency == 0 || self.batch_size == 0 {
            return Err(anyhow!(
                "worker concurrency and batch size must be at least 1"
            ));
        }
        // Two missed heart-beats must not make a live worker look dead.
        if self.heartbeat_timeout < self.heartbeat_interval * 2 {
            return Err(anyhow!(
                "heartbeat_timeout must be at least twice heartbeat_interval"
            ));
        }
        if self.lock_timeout <= self.task_timeout {
            return Err(anyhow!("lock_timeout must be longer than task_timeout"));
        }
        Ok(())
    }
}

/// Claims and runs tasks until cancelled. See the module documentation.
pub struct Worker {
    id: Arc<str>,
    owner: PgPool,
    app: Db,
    registry: Arc<Registry>,
    config: WorkerConfig,
}

/// How one run ended.
struct Outcome {
    id: i64,
    kind: Arc<str>,
    attempts: i32,
    max_attempts: i32,
    result: Result<(), Failed>,
}

struct Failed {
    error: String,
    permanent: bool,
}

impl Worker {
    /// `owner` must connect as the owner (it claims across tenants, past RLS) and have room for
    /// two connections: the LISTEN connection holds one for as long as the worker runs. Handlers
    /// get `app`, the application pool.
    pub fn new(
        owner: PgPool,
        app: Db,
        registry: Arc<Registry>,
        config: WorkerConfig,
    ) -> Result<Self> {
        config.check()?;
        Ok(Self {
            id: new_worker_id().into(),
            owner,
            app,
            registry,
            config,
        })
    }

    /// The id in `task_workers` and in `task_queue.locked_by`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs until `shutdown` is cancelled, then stops claiming, lets the tasks in flight finish
    /// (each is bounded by `task_timeout`), records their results and signs off.
    ///
    /// Dropping the future instead (as when the process dies) stops everything at once; the
    /// tasks it held are rescued by other workers once its heartbeat is stale.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        // Register before the first claim: a running task whose worker has no heartbeat row is
        // taken for orphaned by the next rescue.
        repo::heartbeat(&self.owner, &self.id).await?;
        tracing::info!(worker = %self.id, concurrency = self.config.concurrency, "task worker started");

        let wake = Arc::new(Notify::new());
        // Owned by this future: dropping the worker drops the listener with it.
        let mut listener = JoinSet::new();
        listener.spawn(listen(self.owner.clone(), wake.clone()));

        let mut poll = interval(self.config.poll_interval);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let hb = self.config.heartbeat_interval;
        let mut heartbeat = interval_at(Instant::now() + hb, hb);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first tick is immediate: a worker that starts after a crash rescues at once.
        let mut rescue = interval(self.config.rescue_interval);
        rescue.set_missed_tick_behavior(MissedTickBehavior::Delay);

        let mut running: JoinSet<Outcome> = JoinSet::new();
        let mut finished: Vec<Outcome> = Vec::new();
        // When the unwritten results are due to be written.
        let mut record_at: Option<Instant> = None;
        // Claimed, not started yet, with when they were claimed.
        let mut waiting: VecDeque<(ClaimedTask, Instant)> = VecDeque::new();
        // A claimed task that waits this long goes back to the queue rather than run late.
        let max_wait = self.config.heartbeat_timeout;
        let mut stopping = false;
        loop {
            while let Some(joined) = running.try_join_next() {
                collect(joined, &mut finished);
            }
            if !finished.is_empty() {
                let due = *record_at.get_or_insert_with(|| Instant::now() + RECORD_DELAY);
                // Write a batch's worth, or whatever came in once nothing else is running, the
                // delay is up, or the worker stops.
                if finished.len() >= self.config.batch_size.max(self.config.concurrency)
                    || running.is_empty()
                    || Instant::now() >= due
                    || shutdown.is_cancelled()
                {
                    self.record(&mut finished).await;
                    // After a failed write, try again in a second, not on every turn.
                    record_at =
                        (!finished.is_empty()).then(|| Instant::now() + Duration::from_secs(1));
                }
            }
            // Checked here too, not only in the select: the loop may come round several times
            // (full batches, wake-ups) before it waits again.
            if !stopping && shutdown.is_cancelled() {
                stopping = true;
                tracing::info!(worker = %self.id, in_flight = running.len(),
                    "task worker stopping; finishing the tasks in flight");
            }
            if stopping && running.is_empty() {
                break;
            }
            if !stopping {
                self.start_waiting(&mut waiting, &mut running, max_wait)
                    .await;
                // Claim when fewer tasks wait than there are slots, up to a full batch.
                if waiting.len() < self.config.concurrency {
                    let want = self.config.batch_size.saturating_sub(waiting.len());
                    // Finished successes not written yet ride along with the claim: one commit.
                    let done: Vec<i64> = if finished.iter().all(|o| o.result.is_ok()) {
                        finished.iter().map(|o| o.id).collect()
                    } else {
                        Vec::new()
                    };
                    match repo::claim_completing(&self.owner, &self.id, want, &done).await {
                        Ok(tasks) => {
                            if !done.is_empty() {
                                finished.clear();
                                record_at = None;
                            }
                            let full = tasks.len() == want;
                            let now = Instant::now();
                            waiting.extend(tasks.into_iter().map(|t| (t, now)));
                            self.start_waiting(&mut waiting, &mut running, max_wait)
                                .await;
                            // A full batch suggests more are due: top up without waiting for
                            // the next wake-up.
                            if full && waiting.len() < self.config.concurrency {
                                continue;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(worker = %self.id, error = %e, "claiming tasks failed")
                        }
                    }
                }
            }
            tokio::select! {
                biased;
                _ = shutdown.cancelled(), if !stopping => {}
                // Heart-beats go on while stopping: the tasks in flight are still ours.
                _ = heartbeat.tick() => {
                    if let Err(e) = repo::heartbeat(&self.owner, &self.id).await {
                        tracing::warn!(worker = %self.id, error = %e, "heartbeat failed");
                    }
                }
                _ = rescue.tick(), if !stopping => self.rescue().await,
                Some(joined) = running.join_next(), if !running.is_empty() => {
                    collect(joined, &mut finished);
                }
                _ = tokio::time::sleep_until(record_at.unwrap_or_else(Instant::now)),
                    if record_at.is_some() => {}
                _ = wake.notified(), if !stopping => {}
                _ = poll.tick(), if !stopping => {}
            }
        }

        if !finished.is_empty() {
            // The last write failed; one more try before signing off, which would otherwise
            // put these finished tasks back to pending.
            self.record(&mut finished).await;
        }
        if !waiting.is_empty() {
            let ids: Vec<i64> = waiting.iter().map(|(t, _)| t.id).collect();
            self.release(&ids).await;
        }
        listener.shutdown().await;
        let mut conn = self.owner.acquire().await?;
        repo::sign_off(&mut conn, &self.id).await?;
        tracing::info!(worker = %self.id, "task worker stopped");
        Ok(())
    }

    /// Starts waiting tasks while slots are free. A task that waited longer than `max_wait` is
    /// handed back instead: other workers may have been idle meanwhile.
    async fn start_waiting(
        &self,
        waiting: &mut VecDeque<(ClaimedTask, Instant)>,
        running: &mut JoinSet<Outcome>,
        max_wait: Duration,
    ) {
        let mut stale = Vec::new();
        while running.len() < self.config.concurrency {
            let Some((task, claimed)) = waiting.pop_front() else {
                break;
            };
            if claimed.elapsed() > max_wait {
                stale.push(task.id);
            } else {
                running.spawn(self.execute(task));
            }
        }
        if !stale.is_empty() {
            self.release(&stale).await;
        }
    }

    async fn release(&self, ids: &[i64]) {
        if let Err(e) = repo::release(&self.owner, &self.id, ids).await {
            tracing::warn!(worker = %self.id, error = %e, "releasing claimed tasks failed; rescue will");
        }
    }

    /// The future that runs one claimed task; it never fails, it reports.
    fn execute(&self, task: ClaimedTask) -> impl Future<Output = Outcome> + Send + 'static {
        let handler = self.registry.get(&task.kind);
        let kind: Arc<str> = task.kind.into();
        let ctx = TaskCtx {
            db: self.app.clone(),
            task_id: task.id,
            kind: kind.clone(),
            tenant_id: task.tenant_id,
            attempt: task.attempts,
            max_attempts: task.max_attempts,
            worker_id: self.id.clone(),
        };
        let timeout = self.config.task_timeout;
        let payload = task.payload;
        async move {
            let result = match handler {
                None => Err(Failed {
                    error: format!("no handler is registered for task kind `{kind}`"),
                    permanent: true,
                }),
                Some(handler) => {
                    let run = AssertUnwindSafe(handler.run(&ctx, payload)).catch_unwind();
                    match tokio::time::timeout(timeout, run).await {
                        Ok(Ok(Ok(()))) => Ok(()),
                        Ok(Ok(Err(e))) => Err(Failed {
                            error: format!("{e:#}"),
                            permanent: e.chain().any(|cause| cause.is::<Permanent>()),
                        }),
                        Ok(Err(panic)) => Err(Failed {
                            error: format!("the handler panicked: {}", panic_text(&*panic)),
                            permanent: false,
                        }),
                        Err(_) => Err(Failed {
                            error: format!("timed out after {} s", timeout.as_secs_f64()),
                            permanent: false,
                        }),
                    }
                }
            };
            Outcome {
                id: ctx.task_id,
                kind,
                attempts: ctx.attempt,
                max_attempts: ctx.max_attempts,
                result,
            }
        }
    }

    /// Writes the finished runs: successes in one statement, failures in another. On a database
    /// error the outcomes stay in `finished` and are written on the next turn of the loop (both
    /// statements only touch rows this worker still holds, so writing twice is harmless).
    async fn record(&self, finished: &mut Vec<Outcome>) {
        let done: Vec<i64> = finished
            .iter()
            .filter(|o| o.result.is_ok())
            .map(|o| o.id)
            .collect();
        let failures: Vec<Failure> = finished
            .iter()
            .filter_map(|o| {
                let failed = o.result.as_ref().err()?;
                Some(Failure {
                    id: o.id,
                    error: truncate(&failed.error, MAX_ERROR_CHARS),
                    retry_in: backoff::retry_delay(
                        o.attempts,
                        self.config.backoff_base,
                        self.config.backoff_max,
                    ),
                    permanent: failed.permanent,
                })
            })
            .collect();
        let written = async {
            if !done.is_empty() {
                repo::complete(&self.owner, &self.id, &done).await?;
            }
            if failures.is_empty() {
                Ok(Vec::new())
            } else {
                repo::fail(&self.owner, &self.id, &failures).await
            }
        }
        .await;
        match written {
            Ok(statuses) => {
                for o in finished.iter() {
                    let Err(failed) = &o.result else { continue };
                    let status = statuses
                        .iter()
                        .find(|(id, _)| *id == o.id)
                        .map_or("lost", |(_, s)| s.as_str());
                    if status == "failed" {
                        tracing::error!(task = o.id, kind = %o.kind, attempt = o.attempts,
                            max_attempts = o.max_attempts, error = %failed.error,
                            "task failed for good");
                    } else {
                        tracing::warn!(task = o.id, kind = %o.kind, attempt = o.attempts,
                            max_attempts = o.max_attempts, error = %failed.error, status,
                            "task failed; will retry");
                    }
                }
                finished.clear();
            }
            Err(e) => {
                tracing::warn!(worker = %self.id, error = %e, pending = finished.len(),
                    "recording task results failed; retrying");
            }
        }
    }

    async fn rescue(&self) {
        match repo::rescue(
            &self.owner,
            self.config.heartbeat_timeout,
            self.config.lock_timeout,
        )
        .await
        {
            Ok(rescued) => {
                for (id, status) in rescued {
                    tracing::warn!(task = id, %status, "rescued a task from a dead or stuck worker");
                }
            }
            Err(e) => tracing::warn!(worker = %self.id, error = %e, "rescuing tasks failed"),
        }
    }
}

/// Forwards `sous_tasks` notifications to the loop. PgListener reconnects by itself; a
/// notification sent while it was away is picked up by the polling.
async fn listen(pool: PgPool, wake: Arc<Notify>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(_) => wake.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "task notification listener lost");
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "LISTEN {CHANNEL} failed"),
            },
            Err(e) => tracing::warn!(error = %e, "task notification listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The run future itself never panics (it catches the handler's panic), so a join error means
/// the runtime is shutting down and cancelled the run. Nothing is recorded for it: the task is
/// rescued once this worker's heartbeat is stale.
fn collect(joined: Result<Outcome, JoinError>, finished: &mut Vec<Outcome>) {
    match joined {
        Ok(outcome) => finished.push(outcome),
        Err(e) => tracing::warn!(error = %e, "a task run was cancelled"),
    }
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// `host:pid:random`: readable in `task_workers`, unique across restarts and processes.
fn new_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hi", 5), "hi");
    }

    #[test]
    fn config_rejects_timeouts_that_would_rescue_live_work() {
        let ok = WorkerConfig::default();
        assert!(ok.check().is_ok());
        let tight = WorkerConfig {
            heartbeat_timeout: ok.heartbeat_interval,
            ..ok.clone()
        };
        assert!(tight.check().is_err());
        let short_lock = WorkerConfig {
            lock_timeout: ok.task_timeout,
            ..ok.clone()
        };
        assert!(short_lock.check().is_err());
        let idle = WorkerConfig {
            concurrency: 0,
            ..ok
        };
        assert!(idle.check().is_err());
    }
}
