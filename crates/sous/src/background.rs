//! A process's background work: the task workers (in `sous serve` and `sous worker`) and the
//! periodic jobs (in `sous serve`).

use std::{str::FromStr, sync::Arc};

use anyhow::Context;
use platform::{
    config::Settings,
    db::Db,
    domain_events::Subscribers,
    queue::{Registry, Worker, WorkerConfig},
    scheduler::{self, Started},
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::shutdown::Deadline;

/// Every context's task handlers, by kind. Contexts add theirs here as they arrive, the way
/// `app::api` merges their routers. It also installs the process's domain-event subscribers
/// ([`subscribers`]), whose handlers are tasks too.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    catalog::register(&mut registry);
    ordering::register(&mut registry);
    payments::register(&mut registry);
    subscribers().install(&mut registry);
    registry
}

/// Every context's subscribers to another context's domain events
/// (`platform::domain_events`). Both the process that publishes an event and the one whose
/// worker runs the handlers need this list: publishing enqueues a task per subscriber.
pub fn subscribers() -> Subscribers {
    Subscribers::new()
}

/// What runs in the background, and the token that stops it.
pub struct Background {
    shutdown: CancellationToken,
    workers: JoinSet<()>,
    scheduler: Started,
}

impl Background {
    /// Starts a worker with `concurrency` slots (none when 0) and, when `with_scheduler`, the
    /// periodic jobs as `settings.scheduler` says. Cancelling `shutdown` (or [`Self::stop`])
    /// stops them.
    pub async fn start(
        owner_url: &str,
        app: &Db,
        settings: &Settings,
        concurrency: usize,
        with_scheduler: bool,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let owner = PgConnectOptions::from_str(owner_url)?;
        // Built even without workers: it installs the subscribers this process publishes to.
        let registry = Arc::new(registry());
        let mut workers = JoinSet::new();
        if concurrency > 0 {
            // The LISTEN connection, plus one for claims and results, plus one spare for the
            // rescue and sign-off.
            // synchronous_commit off: a claim or a completion lost in a crash only means the task
            // runs again, which at-least-once delivery allows anyway, and the worker stops
            // waiting for a disk flush on every batch.
            let pool = PgPoolOptions::new()
                .max_connections(3)
                // No ping before every claim and write (a round trip each): sqlx already tests a
                // connection when it goes back to the pool, and a failed statement is retried.
                .test_before_acquire(false)
                .connect_with(
                    owner
                        .clone()
                        .application_name("sous-worker")
                        .options([("synchronous_commit", "off")]),
                )
                .await
                .context("connecting the task worker")?;
            // Claim ahead: at least four rounds of slots wait claimed, so claims stay large;
            // more (up to the default `max_claim_ahead`) when tasks start faster.
            let config = WorkerConfig {
                concurrency,
                batch_size: (4 * concurrency).max(16),
                ..WorkerConfig::default()
            };
            let worker = Worker::new(pool, app.clone(), registry, config)?;
            let token = shutdown.clone();
            workers.spawn(async move {
                if let Err(e) = worker.run(token).await {
                    tracing::error!(error = %e, "the task worker stopped with an error");
                }
            });
        }
        let scheduler = if with_scheduler {
            scheduler::start(
                settings.scheduler,
                &owner,
                scheduler::standard_jobs(),
                shutdown.clone(),
            )
            .await
            .context("starting the periodic jobs")?
        } else {
            Started::Off
        };
        Ok(Self {
            shutdown,
            workers,
            scheduler,
        })
    }

    /// Resolves when a worker ends on its own (an error it could not recover from).
    pub async fn worker_ended(&mut self) {
        if self.workers.join_next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    /// Stops claiming and scheduling, and waits for the tasks in flight to finish, until the
    /// deadline's share for the process is up. A worker still busy then (tasks that outlast it,
    /// or a database that does not answer) is dropped: its tasks in flight run again once its
    /// heartbeat is stale.
    pub async fn stop(mut self, deadline: &Deadline) {
        self.shutdown.cancel();
        let workers = async { while self.workers.join_next().await.is_some() {} };
        if deadline
            .bounded(
                "the task worker (its tasks in flight run again once its heartbeat is stale)",
                workers,
            )
            .await
            .is_none()
        {
            self.workers.abort_all();
        }
        let scheduler = match &self.scheduler {
            Started::Internal(handle) => Some(handle.abort_handle()),
            _ => None,
        };
        if deadline
            .bounded("the in-process scheduler's run", self.scheduler.join())
            .await
            .is_none()
            && let Some(scheduler) = scheduler
        {
            scheduler.abort();
        }
    }
}
