//! Typed domain events between contexts. A context publishes an event in the transaction of
//! the change it reports; another context subscribes to it with a handler that runs as a queue
//! task. [`publish`] appends the event to the `events` outbox (so screens following its channel
//! see it too) and, in the same transaction, enqueues one task per subscriber of its kind:
//!
//! - nothing happens unless the change commits (a rolled-back transaction leaves neither the
//!   event nor the tasks);
//! - each subscriber gets one task per event (the task's dedup key is the event id), run by a
//!   worker after the commit, and retried with back-off when the handler fails;
//! - like every queue task, a handler may run twice if its worker dies mid-run, so it makes its
//!   effect idempotent, keyed by [`Published::id`].
//!
//! The binary lists the subscribers once ([`Subscribers`], built where the task handlers are
//! registered) and installs that list for the process, because the web process publishes and
//! the worker process runs the handlers.

use std::{collections::HashMap, future::Future, marker::PhantomData, sync::OnceLock};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;

use crate::events::{Channel, NewEvent, append};
use crate::{
    db::Tx,
    error::{Error, Result},
    queue::{self, Handler, HandlerFuture, NewTask, Registry, TaskCtx},
};

/// An event another context may react to, such as `order.accepted` or `ticket.bumped`.
/// Its serialised form (camelCase, like the rest of the wire) is the outbox row's payload and
/// what subscribers decode.
pub trait DomainEvent: Serialize + DeserializeOwned + Send + 'static {
    /// The event's type, `<entity>.<what happened>`: the outbox's `type` and what subscribers
    /// subscribe to.
    const KIND: &'static str;
    /// The channel the outbox row is streamed on to the screens that follow it
    /// ([`Channel::Catalog`] for one no screen shows).
    const CHANNEL: Channel;
    fn tenant_id(&self) -> Uuid;
    fn branch_id(&self) -> Option<Uuid>;
    /// The stream the event belongs to, `<entity>:<id>` (`order:…`).
    fn stream(&self) -> String;
    /// The one customer or guest the event is for on the screens, when it is addressed.
    fn audience(&self) -> Option<Uuid> {
        None
    }
}

/// What a subscriber's handler receives: the event and its outbox id.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Published<E> {
    /// The outbox id: unique per event, so a handler can make its effect idempotent on it.
    pub id: i64,
    pub event: E,
}

/// The task payload: the event, its id, and its branch at the top, where the queue's admin
/// API reads which branch a task is for.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    event_id: i64,
    branch_id: Option<Uuid>,
    event: &'a Value,
}

/// Appends `event` to the outbox and enqueues its subscribers' tasks, all in `tx`. Answers the
/// event's id.
pub async fn publish<E: DomainEvent>(tx: &mut Tx, event: &E) -> Result<i64> {
    let tasks = installed()?.tasks_of(E::KIND);
    let payload = serde_json::to_value(event).map_err(anyhow::Error::from)?;
    let stream = event.stream();
    let id = append(
        tx,
        NewEvent {
            tenant_id: event.tenant_id(),
            branch_id: event.branch_id(),
            channel: E::CHANNEL,
            stream: &stream,
            kind: E::KIND,
            audience: event.audience(),
            payload: payload.clone(),
        },
    )
    .await?;
    if tasks.is_empty() {
        return Ok(id);
    }
    let body = serde_json::to_value(Payload {
        event_id: id,
        branch_id: event.branch_id(),
        event: &payload,
    })
    .map_err(anyhow::Error::from)?;
    for kind in tasks {
        let task = NewTask::new(kind.as_str(), body.clone())
            .tenant(event.tenant_id())
            .dedup_key(id.to_string());
        queue::enqueue(tx, &task).await?;
    }
    Ok(id)
}

/// Which task kinds subscribe to which event kinds, for [`publish`].
#[derive(Clone, Debug, Default)]
struct Table {
    by_event: HashMap<&'static str, Vec<String>>,
}

impl Table {
    fn tasks_of(&self, kind: &str) -> &[String] {
        self.by_event.get(kind).map_or(&[], Vec::as_slice)
    }
}

/// Registers one subscriber's handler under its task kind.
type Register = Box<dyn FnOnce(&mut Registry, &str) + Send>;

static INSTALLED: OnceLock<Table> = OnceLock::new();

fn installed() -> Result<&'static Table> {
    INSTALLED.get().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "no domain-event subscribers are installed in this process (Subscribers::install)"
        ))
    })
}

/// The subscribers of a process, by event kind. Each subscriber is a task kind of its own
/// (`<context>.<what it does>`, like `kitchen.tickets`), so it retries, fails and shows in the
/// queue's admin API apart from the others.
#[derive(Default)]
pub struct Subscribers {
    table: Table,
    handlers: Vec<(String, Register)>,
}

impl Subscribers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes `task_kind` to events of type `E`: `handler` runs once per published `E`,
    /// after its transaction commits. An error is retried with back-off (see
    /// [`queue::Handler`]); [`queue::permanent`] fails the task at once.
    ///
    /// # Panics
    /// When `task_kind` already subscribes to something: one task kind is one handler.
    pub fn on<E, F, Fut>(&mut self, task_kind: &str, handler: F) -> &mut Self
    where
        E: DomainEvent,
        F: Fn(TaskCtx, Published<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        assert!(
            self.handlers.iter().all(|(k, _)| k != task_kind),
            "subscriber `{task_kind}` registered twice"
        );
        self.table
            .by_event
            .entry(E::KIND)
            .or_default()
            .push(task_kind.to_string());
        self.handlers.push((
            task_kind.to_string(),
            Box::new(move |registry: &mut Registry, kind: &str| {
                registry.register(
                    kind,
                    Subscriber {
                        handler,
                        _event: PhantomData::<fn() -> E>,
                    },
                );
            }),
        ));
        self
    }

    /// The task kinds that subscribe to `event_kind`.
    pub fn of(&self, event_kind: &str) -> &[String] {
        self.table.tasks_of(event_kind)
    }

    /// Registers every handler with the queue's `registry` and makes this list the one
    /// [`publish`] enqueues for, in this process. A process installs its list once; installing
    /// again keeps the first list (every build of the binary lists the same subscribers).
    pub fn install(self, registry: &mut Registry) {
        let _ = INSTALLED.set(self.table);
        for (kind, register) in self.handlers {
            register(registry, &kind);
        }
    }
}

struct Subscriber<E, F> {
    handler: F,
    _event: PhantomData<fn() -> E>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Incoming {
    event_id: i64,
    event: Value,
}

impl<E, F, Fut> Handler for Subscriber<E, F>
where
    E: DomainEvent,
    F: Fn(TaskCtx, Published<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    fn run<'a>(&'a self, ctx: &'a TaskCtx, payload: Value) -> HandlerFuture<'a> {
        Box::pin(async move {
            let decode = |e: serde_json::Error| {
                queue::permanent(anyhow::anyhow!(
                    "the {} event of task {} does not decode: {e}",
                    E::KIND,
                    ctx.kind
                ))
            };
            let incoming: Incoming = serde_json::from_value(payload).map_err(decode)?;
            let event: E = serde_json::from_value(incoming.event).map_err(decode)?;
            (self.handler)(
                ctx.clone(),
                Published {
                    id: incoming.event_id,
                    event,
                },
            )
            .await
        })
    }
}
