//! The task queue: background work stored in PostgreSQL (`task_queue`), enqueued in the
//! caller's transaction and run by workers that claim batches with `FOR UPDATE SKIP LOCKED`.
//!
//! - [`enqueue`] inserts a task in the caller's transaction: a rolled-back transaction enqueues
//!   nothing. With a `dedup_key`, enqueueing while the same key is pending or running is a no-op.
//! - A [`Registry`] maps each task kind to its [`Handler`]. Delivery is at least once (a task
//!   whose worker dies mid-run is run again), so handlers must be idempotent.
//! - A [`Worker`] claims due tasks in priority order (ahead of its free slots, further the
//!   faster they run), runs them concurrently, completes the successes in one statement on a
//!   second connection while it claims the next ones, retries failures with exponential back-off and jitter, and
//!   marks a task `failed` (dead) once it has used `max_attempts`. It wakes on the
//!   `sous_tasks` notification and polls as a fallback; heart-beats let other workers rescue the
//!   tasks of a worker that died.

pub mod admin;
mod backoff;
pub mod repo;
mod worker;

use std::{collections::HashMap, fmt, future::Future, marker::PhantomData, pin::Pin, sync::Arc};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

pub use backoff::retry_delay;
pub use repo::enqueue;
pub use worker::{Worker, WorkerConfig};

use crate::db::{Db, TenantScope, Tx};

/// The channel the insert trigger notifies and the workers listen on.
pub const CHANNEL: &str = "sous_tasks";

/// A task to enqueue. `NewTask::new(kind, payload)` gives a global task due now, priority 0,
/// 5 attempts; the builder methods set the rest.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub kind: String,
    pub payload: Value,
    /// The tenant the task works for; `None` for a global task (owner connection only).
    pub tenant_id: Option<Uuid>,
    /// Higher runs first.
    pub priority: i32,
    /// `None`: due now.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    pub dedup_key: Option<String>,
}

impl NewTask {
    pub fn new(kind: impl Into<String>, payload: Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            tenant_id: None,
            priority: 0,
            run_at: None,
            max_attempts: 5,
            dedup_key: None,
        }
    }

    pub fn tenant(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n;
        self
    }

    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }
}

/// What a handler knows about the task it runs.
#[derive(Clone)]
pub struct TaskCtx {
    /// The application pool (RLS applies): tenant data is reached through [`TaskCtx::begin`].
    pub db: Db,
    pub task_id: i64,
    pub kind: Arc<str>,
    pub tenant_id: Option<Uuid>,
    /// 1 on the first run.
    pub attempt: i32,
    pub max_attempts: i32,
    /// The worker running the task.
    pub worker_id: Arc<str>,
}

impl TaskCtx {
    /// A transaction scoped to the task's tenant (no tenant for a global task).
    pub async fn begin(&self) -> crate::Result<Tx> {
        self.db
            .begin(TenantScope {
                tenant_id: self.tenant_id,
                ..TenantScope::default()
            })
            .await
    }
}

impl fmt::Debug for TaskCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskCtx")
            .field("task_id", &self.task_id)
            .field("kind", &self.kind)
            .field("tenant_id", &self.tenant_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Runs one kind of task. An error is retried with back-off until `max_attempts`, unless it is
/// (or wraps) a [`Permanent`], which fails the task at once.
pub trait Handler: Send + Sync + 'static {
    fn run<'a>(&'a self, ctx: &'a TaskCtx, payload: Value) -> HandlerFuture<'a>;
}

/// An error that retrying cannot fix (a payload that does not decode, a record that is gone):
/// the task is marked failed without using its remaining attempts.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct Permanent(pub anyhow::Error);

/// Wraps `err` so the worker fails the task at once.
pub fn permanent(err: impl Into<anyhow::Error>) -> anyhow::Error {
    Permanent(err.into()).into()
}

/// Task kinds and their handlers.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn Handler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `kind`.
    ///
    /// # Panics
    /// When `kind` already has a handler: two handlers for one kind is a wiring mistake that
    /// should stop the process at start-up, not surface as tasks run by the wrong code.
    pub fn register(&mut self, kind: &str, handler: impl Handler) -> &mut Self {
        let previous = self.handlers.insert(kind.to_string(), Arc::new(handler));
        assert!(previous.is_none(), "task kind `{kind}` registered twice");
        self
    }

    /// Registers an async function taking the payload decoded as `P`. A payload that does not
    /// decode fails the task permanently.
    pub fn register_fn<P, F, Fut>(&mut self, kind: &str, f: F) -> &mut Self
    where
        P: DeserializeOwned + Send + 'static,
        F: Fn(TaskCtx, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.register(
            kind,
            FnHandler {
                f,
                _payload: PhantomData,
            },
        )
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kinds: Vec<&str> = self.kinds().collect();
        kinds.sort_unstable();
        f.debug_struct("Registry").field("kinds", &kinds).finish()
    }
}

struct FnHandler<P, F> {
    f: F,
    // `fn() -> P`: the handler does not hold a `P`, so it is Send + Sync whatever `P` is.
    _payload: PhantomData<fn() -> P>,
}

impl<P, F, Fut> Handler for FnHandler<P, F>
where
    P: DeserializeOwned + Send + 'static,
    F: Fn(TaskCtx, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    fn run<'a>(&'a self, ctx: &'a TaskCtx, payload: Value) -> HandlerFuture<'a> {
        Box::pin(async move {
            let payload: P = serde_json::from_value(payload).map_err(|e| {
                permanent(anyhow::anyhow!(
                    "the {} payload does not decode: {e}",
                    ctx.kind
                ))
            })?;
            (self.f)(ctx.clone(), payload).await
        })
    }
}
