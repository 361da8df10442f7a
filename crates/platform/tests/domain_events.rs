//! The typed domain-event API against a real PostgreSQL: a published event reaches each of its
//! subscribers once, and only after its transaction commits; a rolled-back one reaches nobody;
//! a subscriber that fails is run again.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use platform::{
    db::{Db, TenantScope},
    domain_events::{DomainEvent, Published, Subscribers, publish},
    events::Channel,
    queue::{Registry, TaskCtx, Worker, WorkerConfig},
    testing::TestDb,
};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Something happened to a thing; `marker` tells one test's events from another's.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Happened {
    tenant_id: Uuid,
    branch_id: Uuid,
    marker: Uuid,
}

impl DomainEvent for Happened {
    const KIND: &'static str = "thing.happened";
    const CHANNEL: Channel = Channel::Catalog;
    fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }
    fn branch_id(&self) -> Option<Uuid> {
        Some(self.branch_id)
    }
    fn stream(&self) -> String {
        format!("thing:{}", self.marker)
    }
}

/// An event whose subscriber fails on its first run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Flaked {
    tenant_id: Uuid,
    marker: Uuid,
}

impl DomainEvent for Flaked {
    const KIND: &'static str = "thing.flaked";
    const CHANNEL: Channel = Channel::Catalog;
    fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }
    fn branch_id(&self) -> Option<Uuid> {
        None
    }
    fn stream(&self) -> String {
        format!("thing:{}", self.marker)
    }
}

/// What the subscribers did: (subscriber, marker) → the event ids they ran for, once per run,
/// and the attempt numbers of their successful runs.
#[derive(Default)]
struct Runs {
    events: HashMap<(&'static str, Uuid), Vec<i64>>,
    attempts: HashMap<(&'static str, Uuid), Vec<i32>>,
}

static RUNS: LazyLock<Mutex<Runs>> = LazyLock::new(Default::default);

fn ran(subscriber: &'static str, marker: Uuid) -> Vec<i64> {
    let runs = RUNS.lock().unwrap();
    runs.events
        .get(&(subscriber, marker))
        .cloned()
        .unwrap_or_default()
}

fn note(subscriber: &'static str, ctx: &TaskCtx, marker: Uuid, id: i64) {
    let mut runs = RUNS.lock().unwrap();
    runs.events
        .entry((subscriber, marker))
        .or_default()
        .push(id);
    runs.attempts
        .entry((subscriber, marker))
        .or_default()
        .push(ctx.attempt);
}

/// The process's subscribers, as the binary's `background::registry` lists them: two of
/// `thing.happened`, one of `thing.flaked`.
fn registry() -> Arc<Registry> {
    let mut subscribers = Subscribers::new();
    subscribers
        .on(
            "test.first",
            |ctx: TaskCtx, e: Published<Happened>| async move {
                note("test.first", &ctx, e.event.marker, e.id);
                Ok(())
            },
        )
        .on(
            "test.second",
            |ctx: TaskCtx, e: Published<Happened>| async move {
                note("test.second", &ctx, e.event.marker, e.id);
                Ok(())
            },
        )
        .on(
            "test.flaky",
            |ctx: TaskCtx, e: Published<Flaked>| async move {
                if ctx.attempt == 1 {
                    anyhow::bail!("the first run fails");
                }
                note("test.flaky", &ctx, e.event.marker, e.id);
                Ok(())
            },
        );
    assert_eq!(
        subscribers.of("thing.happened"),
        ["test.first", "test.second"]
    );
    let mut registry = Registry::new();
    subscribers.install(&mut registry);
    Arc::new(registry)
}

struct Env {
    db: TestDb,
    owner: PgPool,
    app: Db,
    tenant: Uuid,
    registry: Arc<Registry>,
}

async fn env() -> Env {
    let db = TestDb::new().await;
    let owner = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(db.owner_options())
        .await
        .unwrap();
    let app = Db::connect_with(db.app_options(), 4).await.unwrap();
    let tenant = Uuid::now_v7();
    sqlx::query("insert into tenants (id, slug, name) values ($1, 'brand-a', 'Brand A')")
        .bind(tenant)
        .execute(&owner)
        .await
        .unwrap();
    Env {
        db,
        owner,
        app,
        tenant,
        registry: registry(),
    }
}

/// A worker with its own owner pool, as the worker process has; it polls often and retries
/// soon, so the tests need not wait for seconds.
async fn start_worker(env: &Env) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(env.db.owner_options())
        .await
        .unwrap();
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(50),
        backoff_base: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    let worker = Worker::new(pool, env.app.clone(), env.registry.clone(), config).unwrap();
    let token = CancellationToken::new();
    let stop = token.clone();
    let handle = tokio::spawn(async move { worker.run(stop).await.unwrap() });
    (token, handle)
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn count(env: &Env, sql: &str, marker: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(marker.to_string())
        .fetch_one(&env.owner)
        .await
        .unwrap()
}

const EVENTS: &str = "select count(*) from events where payload ->> 'marker' = $1";
const TASKS: &str = "select count(*) from task_queue where payload -> 'event' ->> 'marker' = $1";

#[tokio::test]
async fn each_subscriber_runs_once_per_event_and_only_after_the_commit() {
    let env = env().await;
    let marker = Uuid::now_v7();
    let branch = Uuid::now_v7();
    let (stop, worker) = start_worker(&env).await;

    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let event = Happened {
            tenant_id: env.tenant,
            branch_id: branch,
            marker,
        };
        ids.push(publish(&mut tx, &event).await.unwrap());
    }
    // The worker polls every 50 ms: it would have run a task visible before the commit.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(ran("test.first", marker).is_empty());
    assert_eq!(count(&env, TASKS, marker).await, 0, "nothing before commit");
    tx.commit().await.unwrap();

    wait_until("both subscribers ran for both events", || {
        ran("test.first", marker).len() == 2 && ran("test.second", marker).len() == 2
    })
    .await;
    // Given time to run anything twice, nothing runs again.
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.cancel();
    worker.await.unwrap();
    for subscriber in ["test.first", "test.second"] {
        let mut got = ran(subscriber, marker);
        got.sort_unstable();
        assert_eq!(got, ids, "{subscriber} ran once for each event");
    }
    // Each event is one outbox row, and one task per subscriber, done, carrying its branch.
    assert_eq!(count(&env, EVENTS, marker).await, 2);
    let tasks: Vec<(String, String, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
        "select kind, status, tenant_id, branch_id from task_queue \
         where payload -> 'event' ->> 'marker' = $1 order by id",
    )
    .bind(marker.to_string())
    .fetch_all(&env.owner)
    .await
    .unwrap();
    assert_eq!(tasks.len(), 4);
    for (_, status, tenant, task_branch) in &tasks {
        assert_eq!(status, "done");
        assert_eq!(*tenant, Some(env.tenant));
        assert_eq!(*task_branch, Some(branch));
    }
}

#[tokio::test]
async fn a_rolled_back_event_reaches_no_subscriber() {
    let env = env().await;
    let marker = Uuid::now_v7();
    let (stop, worker) = start_worker(&env).await;

    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant))
        .await
        .unwrap();
    let event = Happened {
        tenant_id: env.tenant,
        branch_id: Uuid::now_v7(),
        marker,
    };
    publish(&mut tx, &event).await.unwrap();
    tx.rollback().await.unwrap();

    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    worker.await.unwrap();
    assert!(ran("test.first", marker).is_empty());
    assert!(ran("test.second", marker).is_empty());
    assert_eq!(count(&env, EVENTS, marker).await, 0);
    assert_eq!(count(&env, TASKS, marker).await, 0);
}

#[tokio::test]
async fn a_failing_subscriber_is_run_again() {
    let env = env().await;
    let marker = Uuid::now_v7();
    let (stop, worker) = start_worker(&env).await;

    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant))
        .await
        .unwrap();
    let event = Flaked {
        tenant_id: env.tenant,
        marker,
    };
    let id = publish(&mut tx, &event).await.unwrap();
    tx.commit().await.unwrap();

    wait_until("the flaky subscriber succeeded", || {
        !ran("test.flaky", marker).is_empty()
    })
    .await;
    stop.cancel();
    worker.await.unwrap();
    assert_eq!(ran("test.flaky", marker), [id]);
    assert_eq!(
        RUNS.lock().unwrap().attempts[&("test.flaky", marker)],
        [2],
        "it succeeded on its second run"
    );
    let (status, attempts): (String, i32) = sqlx::query_as(
        "select status, attempts from task_queue where kind = 'test.flaky' \
         and payload -> 'event' ->> 'marker' = $1",
    )
    .bind(marker.to_string())
    .fetch_one(&env.owner)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("done", 2));
}
