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
    /// Claimed tasks the worker keeps waiting ahead of its slots, at least: a slot that frees up
    /// starts the next task without a database round trip, and claims stay large (one commit for
    /// many tasks).
    pub batch_size: usize,
    /// Claimed tasks the worker keeps waiting at most. Above `batch_size`, the worker claims as
    /// far ahead as it starts tasks in 100 ms (measured between claims), so quick tasks go
    /// through in big claims while slow ones are not hoarded away from other workers.
    pub max_claim_ahead: usize,
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
            max_claim_ahead: 512,
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
        if self.concurrency == 0 || self.batch_size == 0 || self.max_claim_ahead == 0 {
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
    /// at least two connections: the LISTEN connection holds one for as long as the worker runs.
    /// With three, a claim and a result write run side by side (with two, they take turns); a
    /// pool without `test_before_acquire` saves a round trip per statement. Handlers get `app`,
    /// the application pool.
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
    /// Claims and result writes are pipelined: at most one claim and one write are under way at
    /// any time, each on its own pool connection, while the loop keeps starting tasks and
    /// collecting their outcomes. A claim starts before the claimed-ahead tasks run out, and
    /// results that finish while a write is under way are gathered for the next one, so under
    /// load both statements cover many tasks and neither waits for the other.
    ///
    /// Dropping the future instead (as when the process dies) stops everything at once,
    /// including a claim or write under way; the tasks it held are rescued by other workers once
    /// its heartbeat is stale.
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
        // Finished runs not handed to a write yet.
        let mut finished: Vec<Outcome> = Vec::new();
        // When the unwritten results are due to be written.
        let mut record_at: Option<Instant> = None;
        // Claimed, not started yet, with when they were claimed.
        let mut waiting: VecDeque<(ClaimedTask, Instant)> = VecDeque::new();
        // The claim and the result write under way (at most one of each). They run as tasks of
        // their own, so they finish and give their connection back whatever the loop awaits
        // meanwhile; the sets are owned by this future, so dropping the worker aborts them.
        let mut claiming: JoinSet<Claimed> = JoinSet::new();
        let mut writing: JoinSet<Written> = JoinSet::new();
        // After a failed write, the next one waits until then (unless the worker stops).
        let mut retry_at: Option<Instant> = None;
        // Whether due tasks may be left: the last claim came back full, or a notification or
        // the polling interval said so since it started. No claim is made otherwise, so an
        // empty queue is not asked again every time a task finishes.
        let mut more = true;
        // How far ahead to claim, from how fast tasks start.
        let mut ahead = ClaimAhead::new(&self.config, Instant::now());
        // A claimed task that waits this long goes back to the queue rather than run late.
        let max_wait = self.config.heartbeat_timeout;
        let mut stopping = false;
        // Writes that failed after the worker began to stop (the results are given up after
        // two: signing off puts their tasks back to pending, to run again).
        let mut failed_final_writes = 0;
        loop {
            while let Some(joined) = running.try_join_next() {
                collect(joined, &mut finished);
            }
            if !stopping && shutdown.is_cancelled() {
                stopping = true;
                tracing::info!(worker = %self.id, in_flight = running.len(),
                    "task worker stopping; finishing the tasks in flight");
            }
            if stopping && !waiting.is_empty() {
                // Claimed ahead (or by a claim that was under way), never started: hand back.
                let ids: Vec<i64> = waiting.drain(..).map(|(t, _)| t.id).collect();
                self.release(&ids).await;
            }
            if !stopping {
                ahead.started += self
                    .start_waiting(&mut waiting, &mut running, max_wait)
                    .await;
                // A claim starts when fewer tasks wait than half of the target (and than the
                // slots), so the next batch is on its way before the slots run dry.
                if more && claiming.is_empty() {
                    let target = ahead.target(Instant::now());
                    if waiting.len() < self.config.concurrency.max(target / 2) {
                        more = false;
                        let want = target.saturating_sub(waiting.len()).max(1);
                        ahead.claimed(Instant::now());
                        claiming.spawn(self.claim(want));
                    }
                }
            }
            let held_back = !stopping && retry_at.is_some_and(|at| Instant::now() < at);
            if writing.is_empty() && !finished.is_empty() && !held_back {
                let due = *record_at.get_or_insert_with(|| Instant::now() + RECORD_DELAY);
                // A batch's worth, or whatever came in once the worker has nothing else to run
                // or claim, the delay is up, or the worker stops.
                if finished.len() >= self.config.batch_size.max(self.config.concurrency)
                    || (running.is_empty() && waiting.is_empty() && claiming.is_empty())
                    || Instant::now() >= due
                    || stopping
                {
                    writing.spawn(self.write(std::mem::take(&mut finished)));
                    record_at = None;
                }
            }
            if stopping
                && running.is_empty()
                && claiming.is_empty()
                && writing.is_empty()
                && finished.is_empty()
            {
                break;
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
                Some(joined) = claiming.join_next(), if !claiming.is_empty() => match joined {
                    Ok((want, Ok(tasks))) => {
                        // A full batch suggests more are due.
                        more |= tasks.len() >= want;
                        let now = Instant::now();
                        waiting.extend(tasks.into_iter().map(|t| (t, now)));
                    }
                    Ok((_, Err(e))) => {
                        tracing::warn!(worker = %self.id, error = %e, "claiming tasks failed")
                    }
                    // Only a panic gets here; what it may have claimed is rescued.
                    Err(e) => tracing::error!(worker = %self.id, error = %e, "a claim was lost"),
                },
                Some(joined) = writing.join_next(), if !writing.is_empty() => {
                    let Ok((mut batch, written)) = joined else {
                        // Only a panic gets here (the write catches its errors): the batch's
                        // tasks stay running and go back to pending at sign-off or rescue.
                        tracing::error!(worker = %self.id, "a result write was lost");
                        continue;
                    };
                    match written {
                        Ok(statuses) => {
                            retry_at = None;
                            log_failures(&batch, &statuses);
                        }
                        Err(e) => {
                            tracing::warn!(worker = %self.id, error = %e, pending = batch.len(),
                                "recording task results failed; retrying");
                            if stopping {
                                failed_final_writes += 1;
                            }
                            if failed_final_writes >= 2 {
                                tracing::warn!(worker = %self.id, lost = batch.len(),
                                    "giving up on the results; their tasks go back to pending");
                            } else {
                                // Both statements only touch rows this worker still holds, so
                                // writing twice is harmless. Try again in a second, not at once.
                                batch.append(&mut finished);
                                finished = batch;
                                retry_at = Some(Instant::now() + Duration::from_secs(1));
                                record_at = retry_at;
                            }
                        }
                    }
                }
                Some(joined) = running.join_next(), if !running.is_empty() => {
                    collect(joined, &mut finished);
                }
                _ = tokio::time::sleep_until(record_at.unwrap_or_else(Instant::now)),
                    if record_at.is_some() && writing.is_empty() => {}
                _ = wake.notified(), if !stopping => more = true,
                _ = poll.tick(), if !stopping => more = true,
            }
        }

        listener.shutdown().await;
        let mut conn = self.owner.acquire().await?;
        repo::sign_off(&mut conn, &self.id).await?;
        tracing::info!(worker = %self.id, "task worker stopped");
        Ok(())
    }

    /// A claim of up to `want` tasks, to run alongside the loop.
    fn claim(&self, want: usize) -> impl Future<Output = Claimed> + Send + 'static {
        let (owner, id) = (self.owner.clone(), self.id.clone());
        async move { (want, repo::claim(&owner, &id, want).await) }
    }

    /// Writes finished runs, to run alongside the loop: successes in one statement, failures in
    /// another. Gives the outcomes back with the result, so a failed write can be retried.
    fn write(&self, batch: Vec<Outcome>) -> impl Future<Output = Written> + Send + 'static {
        let (owner, id) = (self.owner.clone(), self.id.clone());
        let done: Vec<i64> = batch
            .iter()
            .filter(|o| o.result.is_ok())
            .map(|o| o.id)
            .collect();
        let failures: Vec<Failure> = batch
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
        async move {
            let written = async {
                if !done.is_empty() {
                    repo::complete(&owner, &id, &done).await?;
                }
                if failures.is_empty() {
                    Ok(Vec::new())
                } else {
                    repo::fail(&owner, &id, &failures).await
                }
            }
            .await;
            (batch, written)
        }
    }

    /// Starts waiting tasks while slots are free. A task that waited longer than `max_wait` is
    /// handed back instead: other workers may have been idle meanwhile.
    async fn start_waiting(
        &self,
        waiting: &mut VecDeque<(ClaimedTask, Instant)>,
        running: &mut JoinSet<Outcome>,
        max_wait: Duration,
    ) -> usize {
        let mut started = 0;
        let mut stale = Vec::new();
        while running.len() < self.config.concurrency {
            let Some((task, claimed)) = waiting.pop_front() else {
                break;
            };
            if claimed.elapsed() > max_wait {
                stale.push(task.id);
            } else {
                running.spawn(self.execute(task));
                started += 1;
            }
        }
        if !stale.is_empty() {
            self.release(&stale).await;
        }
        started
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

/// How many claimed tasks to keep waiting: `batch_size`, or as many as the worker starts in
/// `CLAIM_HORIZON` at the rate it started them since its previous claim, up to
/// `max_claim_ahead`.
struct ClaimAhead {
    floor: usize,
    cap: usize,
    /// Tasks started since the last claim began.
    started: usize,
    since: Instant,
}

/// How much work the worker claims ahead of its slots, in time.
const CLAIM_HORIZON: Duration = Duration::from_millis(100);

impl ClaimAhead {
    fn new(config: &WorkerConfig, now: Instant) -> Self {
        Self {
            floor: config.batch_size,
            cap: config.max_claim_ahead.max(config.batch_size),
            started: 0,
            since: now,
        }
    }

    fn target(&self, now: Instant) -> usize {
        let elapsed = now.saturating_duration_since(self.since).as_secs_f64();
        // Starts per second since the previous claim, times the horizon; at least the floor.
        let wanted = if elapsed > 0.0 {
            self.started as f64 / elapsed * CLAIM_HORIZON.as_secs_f64()
        } else {
            0.0
        };
        (wanted as usize).clamp(self.floor, self.cap)
    }

    /// A claim begins: the rate is measured afresh from here.
    fn claimed(&mut self, now: Instant) {
        self.started = 0;
        self.since = now;
    }
}

/// What a claim under way gives back: how many tasks it asked for, and the tasks.
type Claimed = (usize, Result<Vec<ClaimedTask>>);
/// What a write under way gives back: the outcomes it wrote, and the new status of each failure.
type Written = (Vec<Outcome>, Result<Vec<(i64, String)>>);

/// Logs the failed runs of a written batch, with the status each ended in.
fn log_failures(batch: &[Outcome], statuses: &[(i64, String)]) {
    for o in batch {
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
    fn claims_further_ahead_the_faster_tasks_start() {
        let config = WorkerConfig {
            concurrency: 4,
            batch_size: 16,
            max_claim_ahead: 500,
            ..WorkerConfig::default()
        };
        let t0 = Instant::now();
        let mut ahead = ClaimAhead::new(&config, t0);
        // Nothing started yet, or slowly (4 in a second: 0.4 per 100 ms): the floor.
        assert_eq!(ahead.target(t0), 16);
        ahead.started = 4;
        assert_eq!(ahead.target(t0 + Duration::from_secs(1)), 16);
        // 100 started in 50 ms: 200 in 100 ms.
        ahead.claimed(t0);
        ahead.started = 100;
        assert_eq!(ahead.target(t0 + Duration::from_millis(50)), 200);
        // 1 000 in 10 ms: capped.
        ahead.started = 1_000;
        assert_eq!(ahead.target(t0 + Duration::from_millis(10)), 500);
        // Measured afresh from the next claim.
        ahead.claimed(t0 + Duration::from_millis(10));
        assert_eq!(ahead.target(t0 + Duration::from_millis(20)), 16);
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
