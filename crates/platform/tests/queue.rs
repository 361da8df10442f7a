//! The task queue against a real PostgreSQL: exactly-once processing by parallel workers, rescue
//! of a dead worker's task, back-off and dead tasks, ordering, de-duplication, transactional
//! enqueue, tenant isolation, wake-up by notification and graceful shutdown.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use platform::{
    db::{Db, TenantScope},
    queue::{self, NewTask, Registry, TaskCtx, Worker, WorkerConfig, repo},
    testing::TestDb,
};
use serde_json::{Value, json};
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio::{sync::Notify, task::JoinHandle, time::Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

struct Env {
    db: TestDb,
    owner: PgPool,
    app: Db,
    tenant_a: Uuid,
    tenant_b: Uuid,
}

async fn env() -> Env {
    let db = TestDb::new().await;
    let owner = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(db.owner_options())
        .await
        .unwrap();
    let app = Db::connect_with(db.app_options(), 16).await.unwrap();
    let (tenant_a, tenant_b) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, slug) in [(tenant_a, "brand-a"), (tenant_b, "brand-b")] {
        sqlx::query("insert into tenants (id, slug, name) values ($1, $2, $2)")
            .bind(id)
            .bind(slug)
            .execute(&owner)
            .await
            .unwrap();
    }
    Env {
        db,
        owner,
        app,
        tenant_a,
        tenant_b,
    }
}

/// Polls often, so a test need not wait for a notification or a second.
fn quick_poll() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(100),
        ..WorkerConfig::default()
    }
}

/// Short heartbeat and rescue intervals, so a dead worker's task is rescued within a second or
/// two. Only for tests whose live tasks are quick: a loop stalled for a second under load would
/// look dead too.
fn fast() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(100),
        heartbeat_interval: Duration::from_millis(200),
        heartbeat_timeout: Duration::from_secs(1),
        rescue_interval: Duration::from_millis(200),
        ..WorkerConfig::default()
    }
}

struct Running {
    id: String,
    token: CancellationToken,
    handle: JoinHandle<platform::Result<()>>,
}

impl Running {
    async fn stop(self) {
        self.token.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("worker stops within 30 s")
            .expect("worker task")
            .expect("worker run");
    }
}

/// A worker with its own owner pool, as a separate process would have.
async fn start_worker(env: &Env, registry: Arc<Registry>, config: WorkerConfig) -> Running {
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(env.db.owner_options())
        .await
        .unwrap();
    let worker = Worker::new(pool, env.app.clone(), registry, config).unwrap();
    let id = worker.id().to_string();
    let token = CancellationToken::new();
    let handle = tokio::spawn(worker.run(token.clone()));
    Running { id, token, handle }
}

async fn enqueue_owner(env: &Env, task: NewTask) -> i64 {
    let mut conn = env.owner.acquire().await.unwrap();
    queue::enqueue(&mut conn, &task).await.unwrap().unwrap()
}

/// Polls `check` every 20 ms until it holds; panics after `limit`.
async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status(pool: &PgPool, id: i64) -> (String, i32) {
    sqlx::query_as("select status, attempts from task_queue where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count_not_done(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from task_queue where status <> 'done'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[derive(Default)]
struct Runs {
    /// task id → (times run, tenant the handler's transaction was scoped to, worker ids)
    by_task: HashMap<i64, (u32, Option<Uuid>, Vec<String>)>,
}

#[tokio::test]
async fn parallel_workers_run_every_task_exactly_once() {
    const TASKS: usize = 300;
    const WORKERS: usize = 4;
    let env = env().await;
    let runs = Arc::new(Mutex::new(Runs::default()));
    let mut registry = Registry::new();
    let seen = runs.clone();
    registry.register_fn("count", move |ctx: TaskCtx, _: Value| {
        let seen = seen.clone();
        async move {
            // The handler's transaction is scoped to the task's tenant.
            let mut tx = ctx.begin().await?;
            let tenant: Option<Uuid> = sqlx::query_scalar("select app_tenant_id()")
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            tokio::time::sleep(Duration::from_millis(ctx.task_id as u64 % 3)).await;
            let mut runs = seen.lock().unwrap();
            let entry = runs.by_task.entry(ctx.task_id).or_default();
            entry.0 += 1;
            entry.1 = tenant;
            entry.2.push(ctx.worker_id.to_string());
            Ok(())
        }
    });

    // A third each for tenant A and B (through the application role) and global (owner).
    let mut expected_tenant = HashMap::new();
    for (i, tenant) in [Some(env.tenant_a), Some(env.tenant_b), None]
        .into_iter()
        .enumerate()
    {
        let task = |n: usize| NewTask::new("count", json!({ "n": n }));
        match tenant {
            Some(t) => {
                let mut tx = env.app.begin(TenantScope::tenant(t)).await.unwrap();
                for n in (i..TASKS).step_by(3) {
                    let id = queue::enqueue(&mut tx, &task(n).tenant(t)).await.unwrap();
                    expected_tenant.insert(id.unwrap(), tenant);
                }
                tx.commit().await.unwrap();
            }
            None => {
                for n in (i..TASKS).step_by(3) {
                    expected_tenant.insert(enqueue_owner(&env, task(n)).await, None);
                }
            }
        }
    }
    assert_eq!(expected_tenant.len(), TASKS);

    let registry = Arc::new(registry);
    let config = WorkerConfig {
        concurrency: 4,
        batch_size: 3,
        poll_interval: Duration::from_millis(100),
        ..WorkerConfig::default()
    };
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        workers.push(start_worker(&env, registry.clone(), config.clone()).await);
    }
    wait_until("every task done", Duration::from_secs(90), || async {
        count_not_done(&env.owner).await == 0
    })
    .await;
    for w in workers {
        w.stop().await;
    }

    let runs = std::mem::take(&mut runs.lock().unwrap().by_task);
    assert_eq!(runs.len(), TASKS, "no task lost");
    let mut by_worker: HashMap<&str, usize> = HashMap::new();
    for (id, (times, tenant, workers)) in &runs {
        assert_eq!(*times, 1, "task {id} ran {times} times");
        assert_eq!(
            *tenant, expected_tenant[id],
            "task {id} ran in the wrong tenant"
        );
        *by_worker.entry(workers[0].as_str()).or_default() += 1;
    }
    assert!(by_worker.len() >= 2, "the work was shared: {by_worker:?}");
    let (done, once): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where status = 'done'), count(*) filter (where attempts = 1) \
         from task_queue",
    )
    .fetch_one(&env.owner)
    .await
    .unwrap();
    assert_eq!((done as usize, once as usize), (TASKS, TASKS));
    let workers_left: i64 = sqlx::query_scalar("select count(*) from task_workers")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    assert_eq!(workers_left, 0, "stopped workers sign off");
}

#[tokio::test]
async fn a_killed_workers_task_is_rescued_and_completed_by_another() {
    let env = env().await;
    let started = Arc::new(Notify::new());
    let runs: Arc<Mutex<Vec<(i32, String)>>> = Arc::default();
    let mut registry = Registry::new();
    let (s, r) = (started.clone(), runs.clone());
    registry.register_fn("stubborn", move |ctx: TaskCtx, _: Value| {
        let (started, runs) = (s.clone(), r.clone());
        async move {
            runs.lock()
                .unwrap()
                .push((ctx.attempt, ctx.worker_id.to_string()));
            if ctx.attempt == 1 {
                // The first run hangs until its worker dies.
                started.notify_one();
                std::future::pending::<()>().await;
            }
            Ok(())
        }
    });
    let registry = Arc::new(registry);
    let id = enqueue_owner(&env, NewTask::new("stubborn", json!({}))).await;

    let doomed = start_worker(&env, registry.clone(), fast()).await;
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("the first worker starts the task");
    // Kill it: its future is dropped mid-task, without completing or signing off.
    doomed.handle.abort();
    assert!(doomed.handle.await.unwrap_err().is_cancelled());
    let (state, locked_by): (String, Option<String>) =
        sqlx::query_as("select status, locked_by from task_queue where id = $1")
            .bind(id)
            .fetch_one(&env.owner)
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), locked_by.as_deref()),
        ("running", Some(doomed.id.as_str()))
    );

    let rescuer = start_worker(&env, registry, fast()).await;
    let rescuer_id = rescuer.id.clone();
    wait_until(
        "the rescued task is done",
        Duration::from_secs(20),
        || async { status(&env.owner, id).await.0 == "done" },
    )
    .await;
    rescuer.stop().await;

    let runs = runs.lock().unwrap().clone();
    assert_eq!(
        runs,
        vec![(1, doomed.id.clone()), (2, rescuer_id)],
        "run once by the dead worker, then once by the rescuer"
    );
    let (attempts, last_error): (i32, String) =
        sqlx::query_as("select attempts, last_error from task_queue where id = $1")
            .bind(id)
            .fetch_one(&env.owner)
            .await
            .unwrap();
    assert_eq!(attempts, 2);
    assert!(last_error.contains(&doomed.id), "{last_error}");
    let dead_worker_rows: i64 =
        sqlx::query_scalar("select count(*) from task_workers where id = $1")
            .bind(&doomed.id)
            .fetch_one(&env.owner)
            .await
            .unwrap();
    assert_eq!(dead_worker_rows, 0, "the dead worker is forgotten");
}

#[tokio::test]
async fn failures_back_off_exponentially_then_the_task_is_dead() {
    let env = env().await;
    let calls: Arc<Mutex<Vec<DateTime<Utc>>>> = Arc::default();
    let mut registry = Registry::new();
    let c = calls.clone();
    registry.register_fn("flaky", move |_: TaskCtx, _: Value| {
        let calls = c.clone();
        async move {
            calls.lock().unwrap().push(Utc::now());
            Err(anyhow!("the payment provider said no"))
        }
    });
    let id = enqueue_owner(&env, NewTask::new("flaky", json!({})).max_attempts(2)).await;
    let before: DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    // Default back-off: base 1 s, so the first retry waits 2 s ± 20 %.
    let worker = start_worker(
        &env,
        Arc::new(registry),
        WorkerConfig {
            poll_interval: Duration::from_millis(50),
            ..WorkerConfig::default()
        },
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let (run_at, seen_at) = loop {
        let (state, attempts, run_at, now): (String, i32, DateTime<Utc>, DateTime<Utc>) =
            sqlx::query_as("select status, attempts, run_at, now() from task_queue where id = $1")
                .bind(id)
                .fetch_one(&env.owner)
                .await
                .unwrap();
        if state == "pending" && attempts == 1 {
            break (run_at, now);
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the first failure"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // The failure was recorded between `before` and `seen_at`, with a delay of 1.6–2.4 s.
    let earliest = before + chrono::Duration::milliseconds(1600);
    let latest = seen_at + chrono::Duration::milliseconds(2400);
    assert!(
        run_at >= earliest && run_at <= latest,
        "run_at {run_at} outside {earliest}..{latest}"
    );

    wait_until("the task is dead", Duration::from_secs(15), || async {
        status(&env.owner, id).await.0 == "failed"
    })
    .await;
    worker.stop().await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "max_attempts = 2 runs, no more");
    assert!(
        calls[1] >= run_at - chrono::Duration::milliseconds(50),
        "the retry ran at {} before its run_at {run_at}",
        calls[1]
    );
    let (attempts, last_error, finished): (i32, String, Option<DateTime<Utc>>) =
        sqlx::query_as("select attempts, last_error, finished_at from task_queue where id = $1")
            .bind(id)
            .fetch_one(&env.owner)
            .await
            .unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(last_error, "the payment provider said no");
    assert!(finished.is_some());
}

#[derive(serde::Deserialize)]
struct Typed {
    #[allow(dead_code)]
    order_id: Uuid,
}

#[tokio::test]
async fn unknown_kinds_bad_payloads_and_permanent_errors_fail_at_once_panics_retry() {
    let env = env().await;
    let mut registry = Registry::new();
    registry
        .register_fn("typed", |_: TaskCtx, _: Typed| async { Ok(()) })
        .register_fn("gone", |_: TaskCtx, _: Value| async {
            Err(queue::permanent(anyhow!("the order no longer exists")))
        })
        .register_fn("panics", |_: TaskCtx, _: Value| async {
            if true {
                panic!("handler bug");
            }
            Ok(())
        });
    let unknown = enqueue_owner(&env, NewTask::new("nobody-handles-this", json!({}))).await;
    let bad_payload =
        enqueue_owner(&env, NewTask::new("typed", json!({ "order_id": "nope" }))).await;
    let gone = enqueue_owner(&env, NewTask::new("gone", json!({}))).await;
    let panics = enqueue_owner(&env, NewTask::new("panics", json!({})).max_attempts(3)).await;
    let worker = start_worker(&env, Arc::new(registry), quick_poll()).await;
    wait_until("every task settled", Duration::from_secs(10), || async {
        let settled: i64 = sqlx::query_scalar(
            "select count(*) from task_queue where status = 'failed' \
             or (status = 'pending' and attempts >= 1)",
        )
        .fetch_one(&env.owner)
        .await
        .unwrap();
        settled == 4
    })
    .await;
    worker.stop().await;

    let error = |id: i64| {
        let owner = env.owner.clone();
        async move {
            sqlx::query_as::<_, (String, i32, String)>(
                "select status, attempts, last_error from task_queue where id = $1",
            )
            .bind(id)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let (s, a, e) = error(unknown).await;
    assert_eq!((s.as_str(), a), ("failed", 1), "unknown kind fails at once");
    assert!(
        e.contains("no handler is registered for task kind `nobody-handles-this`"),
        "{e}"
    );
    let (s, a, e) = error(bad_payload).await;
    assert_eq!((s.as_str(), a), ("failed", 1));
    assert!(e.contains("payload does not decode"), "{e}");
    let (s, a, e) = error(gone).await;
    assert_eq!((s.as_str(), a), ("failed", 1));
    assert_eq!(e, "the order no longer exists");
    let (s, a, e) = error(panics).await;
    assert_eq!((s.as_str(), a), ("pending", 1), "a panic is retried");
    assert!(e.contains("panicked: handler bug"), "{e}");
}

#[tokio::test]
async fn claims_follow_priority_then_run_at_then_id_and_skip_future_tasks() {
    let env = env().await;
    let now = Utc::now();
    let ago = |s: i64| now - chrono::Duration::seconds(s);
    let t = |p: i32, at: DateTime<Utc>| NewTask::new("k", json!({})).priority(p).run_at(at);
    let low_old = enqueue_owner(&env, t(0, ago(30))).await;
    let high_newer = enqueue_owner(&env, t(5, ago(10))).await;
    let high_older = enqueue_owner(&env, t(5, ago(20))).await;
    let low_old_twin = enqueue_owner(&env, t(0, ago(30))).await;
    let _urgent_but_later = enqueue_owner(&env, t(10, now + chrono::Duration::hours(1))).await;

    let mut order = Vec::new();
    for _ in 0..5 {
        let claimed = repo::claim(&env.owner, "w", 1).await.unwrap();
        assert!(claimed.len() <= 1, "limit respected");
        order.extend(claimed.iter().map(|c| c.id));
    }
    assert_eq!(order, vec![high_older, high_newer, low_old, low_old_twin]);

    // A batch comes back in claim order too.
    sqlx::query("update task_queue set status = 'pending', locked_at = null, locked_by = null")
        .execute(&env.owner)
        .await
        .unwrap();
    let batch: Vec<i64> = repo::claim(&env.owner, "w", 10)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(batch, vec![high_older, high_newer, low_old, low_old_twin]);
}

#[tokio::test]
async fn a_worker_runs_a_delayed_task_no_earlier_than_its_run_at() {
    let env = env().await;
    let ran: Arc<Mutex<Option<DateTime<Utc>>>> = Arc::default();
    let mut registry = Registry::new();
    let r = ran.clone();
    registry.register_fn("later", move |_: TaskCtx, _: Value| {
        let ran = r.clone();
        async move {
            *ran.lock().unwrap() = Some(Utc::now());
            Ok(())
        }
    });
    let worker = start_worker(&env, Arc::new(registry), quick_poll()).await;
    let run_at = Utc::now() + chrono::Duration::milliseconds(2000);
    let id = enqueue_owner(&env, NewTask::new("later", json!({})).run_at(run_at)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status(&env.owner, id).await.0, "pending", "not yet due");
    wait_until("the delayed task ran", Duration::from_secs(10), || async {
        status(&env.owner, id).await.0 == "done"
    })
    .await;
    worker.stop().await;
    let ran = ran.lock().unwrap().unwrap();
    assert!(ran >= run_at, "ran at {ran}, due {run_at}");
}

#[tokio::test]
async fn a_dedup_key_is_a_no_op_while_pending_or_running() {
    let env = env().await;
    let task = || NewTask::new("reindex", json!({})).dedup_key("menu-1");
    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant_a))
        .await
        .unwrap();
    let first = queue::enqueue(&mut tx, &task().tenant(env.tenant_a))
        .await
        .unwrap()
        .expect("enqueued");
    let again = queue::enqueue(&mut tx, &task().tenant(env.tenant_a))
        .await
        .unwrap();
    assert_eq!(again, None, "same key while pending: no-op");
    let other_kind = queue::enqueue(
        &mut tx,
        &NewTask::new("reprice", json!({}))
            .dedup_key("menu-1")
            .tenant(env.tenant_a),
    )
    .await
    .unwrap();
    assert!(other_kind.is_some(), "keys are per kind");
    tx.commit().await.unwrap();

    // Another tenant's identical key is its own.
    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant_b))
        .await
        .unwrap();
    let b = queue::enqueue(&mut tx, &task().tenant(env.tenant_b))
        .await
        .unwrap();
    assert!(b.is_some(), "keys are per tenant");
    tx.commit().await.unwrap();

    // Global tasks collide with each other (NULL tenant is not distinct).
    let mut conn = env.owner.acquire().await.unwrap();
    assert!(queue::enqueue(&mut conn, &task()).await.unwrap().is_some());
    assert!(queue::enqueue(&mut conn, &task()).await.unwrap().is_none());

    // Running still blocks; finished frees the key.
    sqlx::query(
        "update task_queue set status = 'running', attempts = 1, locked_at = now(), \
         locked_by = 'w' where id = $1",
    )
    .bind(first)
    .execute(&env.owner)
    .await
    .unwrap();
    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant_a))
        .await
        .unwrap();
    assert_eq!(
        queue::enqueue(&mut tx, &task().tenant(env.tenant_a))
            .await
            .unwrap(),
        None,
        "same key while running: no-op"
    );
    tx.commit().await.unwrap();
    assert_eq!(repo::complete(&env.owner, "w", &[first]).await.unwrap(), 1);
    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant_a))
        .await
        .unwrap();
    let after = queue::enqueue(&mut tx, &task().tenant(env.tenant_a))
        .await
        .unwrap();
    assert!(
        after.is_some_and(|id| id != first),
        "a finished task frees its key"
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_rolled_back_transaction_enqueues_nothing() {
    let env = env().await;
    let scope = TenantScope::tenant(env.tenant_a);
    let mut tx = env.app.begin(scope).await.unwrap();
    let id = queue::enqueue(
        &mut tx,
        &NewTask::new("send-receipt", json!({})).tenant(env.tenant_a),
    )
    .await
    .unwrap();
    assert!(id.is_some());
    tx.rollback().await.unwrap();
    let total: i64 = sqlx::query_scalar("select count(*) from task_queue")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    assert_eq!(total, 0);

    let mut tx = env.app.begin(scope).await.unwrap();
    queue::enqueue(
        &mut tx,
        &NewTask::new("send-receipt", json!({})).tenant(env.tenant_a),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let total: i64 = sqlx::query_scalar("select count(*) from task_queue")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    assert_eq!(total, 1, "the committed one is there");
}

#[tokio::test]
async fn the_app_role_sees_and_enqueues_only_its_tenants_tasks_and_cannot_claim() {
    let env = env().await;
    let enqueue_as = |tenant: Uuid, for_tenant: Option<Uuid>| {
        let app = env.app.clone();
        async move {
            let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
            let mut task = NewTask::new("k", json!({}));
            task.tenant_id = for_tenant;
            let r = queue::enqueue(&mut tx, &task).await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r
        }
    };
    let a = enqueue_as(env.tenant_a, Some(env.tenant_a))
        .await
        .unwrap()
        .unwrap();
    let b = enqueue_as(env.tenant_b, Some(env.tenant_b))
        .await
        .unwrap()
        .unwrap();
    let global = enqueue_owner(&env, NewTask::new("k", json!({}))).await;

    assert!(
        enqueue_as(env.tenant_a, Some(env.tenant_b)).await.is_err(),
        "cannot enqueue for another tenant"
    );
    assert!(
        enqueue_as(env.tenant_a, None).await.is_err(),
        "cannot enqueue global tasks"
    );

    let visible = |scope: TenantScope| {
        let app = env.app.clone();
        async move {
            let mut tx = app.begin(scope).await.unwrap();
            let ids: Vec<i64> = sqlx::query_scalar("select id from task_queue order by id")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            ids
        }
    };
    assert_eq!(visible(TenantScope::tenant(env.tenant_a)).await, vec![a]);
    assert_eq!(visible(TenantScope::tenant(env.tenant_b)).await, vec![b]);
    assert!(visible(TenantScope::default()).await.is_empty());

    // No claiming, not even of its own tenant's tasks; no peeking at the workers.
    let mut tx = env
        .app
        .begin(TenantScope::tenant(env.tenant_a))
        .await
        .unwrap();
    let claim = repo::claim(&mut *tx, "intruder", 10).await;
    assert!(claim.is_err(), "the app role cannot claim");
    tx.rollback().await.unwrap();
    let mut tx = env.app.begin_anonymous().await.unwrap();
    assert!(
        sqlx::query("select * from task_workers")
            .execute(&mut *tx)
            .await
            .is_err()
    );
    tx.rollback().await.unwrap();

    let all: i64 = sqlx::query_scalar("select count(*) from task_queue where status = 'pending'")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    assert_eq!(
        all, 3,
        "the owner sees {a}, {b} and {global}, all unclaimed"
    );
}

#[tokio::test]
async fn an_insert_notification_wakes_an_idle_worker() {
    let env = env().await;
    // One statement-level trigger: bulk enqueues notify once, not once per row.
    let row_level: bool = sqlx::query_scalar(
        "select (tgtype & 1) = 1 from pg_trigger where tgname = 'task_queue_notify'",
    )
    .fetch_one(&env.owner)
    .await
    .unwrap();
    assert!(!row_level);

    let mut registry = Registry::new();
    registry.register_fn("ping", |_: TaskCtx, _: Value| async { Ok(()) });
    // Polling every minute: only the notification can explain a quick pick-up.
    let config = WorkerConfig {
        poll_interval: Duration::from_secs(60),
        ..WorkerConfig::default()
    };
    let worker = start_worker(&env, Arc::new(registry), config).await;
    let db = env.db.name.clone();
    wait_until("the worker listens", Duration::from_secs(10), || async {
        sqlx::query_scalar::<_, bool>(
            "select exists (select 1 from pg_stat_activity \
             where datname = $1 and query ilike 'listen%sous_tasks%')",
        )
        .bind(&db)
        .fetch_one(&env.owner)
        .await
        .unwrap()
    })
    .await;
    // Let the worker finish its start-up claim and go idle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let enqueued = Instant::now();
    let id = enqueue_owner(&env, NewTask::new("ping", json!({}))).await;
    wait_until(
        "the notified worker ran it",
        Duration::from_secs(10),
        || async { status(&env.owner, id).await.0 == "done" },
    )
    .await;
    let took = enqueued.elapsed();
    worker.stop().await;
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// A registry whose `slow` task signals `started` and then takes `run_for`.
fn slow_registry(run_for: Duration) -> (Registry, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let mut registry = Registry::new();
    let s = started.clone();
    registry.register_fn("slow", move |_: TaskCtx, _: Value| {
        let started = s.clone();
        async move {
            started.notify_one();
            tokio::time::sleep(run_for).await;
            Ok(())
        }
    });
    (registry, started)
}

#[tokio::test]
async fn shutdown_finishes_the_tasks_in_flight_and_claims_no_more() {
    let env = env().await;
    let (registry, started) = slow_registry(Duration::from_millis(700));
    let worker = start_worker(&env, Arc::new(registry), quick_poll()).await;
    let first = enqueue_owner(&env, NewTask::new("slow", json!({}))).await;
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("the task starts");
    worker.token.cancel();
    // Due a moment later, once the worker has surely seen the cancellation (a claim already
    // under way when the token is cancelled may still take a task that is due at once).
    let second = enqueue_owner(
        &env,
        NewTask::new("slow", json!({})).run_at(Utc::now() + chrono::Duration::milliseconds(300)),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(10), worker.handle)
        .await
        .expect("stops")
        .unwrap()
        .unwrap();
    assert_eq!(status(&env.owner, first).await, ("done".into(), 1));
    assert_eq!(status(&env.owner, second).await, ("pending".into(), 0));
    let workers: i64 = sqlx::query_scalar("select count(*) from task_workers")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    assert_eq!(workers, 0);
}

#[tokio::test]
async fn rescue_takes_back_stuck_and_orphaned_tasks_and_ignores_late_results() {
    let env = env().await;
    let hb = Duration::from_secs(30);
    let lock = Duration::from_secs(3600);
    let alive = enqueue_owner(&env, NewTask::new("k", json!({}))).await;
    let orphan = enqueue_owner(&env, NewTask::new("k", json!({})).priority(-1)).await;
    let last_try = enqueue_owner(
        &env,
        NewTask::new("k", json!({})).priority(-2).max_attempts(1),
    )
    .await;
    repo::heartbeat(&env.owner, "w-alive").await.unwrap();
    let claimed = repo::claim(&env.owner, "w-alive", 1).await.unwrap();
    assert_eq!(claimed[0].id, alive);
    // Claimed by workers that never registered (or were forgotten): orphans.
    repo::claim(&env.owner, "w-gone", 2).await.unwrap();

    let rescued = repo::rescue(&env.owner, hb, lock).await.unwrap();
    let mut rescued: Vec<(i64, String)> = rescued;
    rescued.sort();
    assert_eq!(
        rescued,
        vec![(orphan, "pending".into()), (last_try, "failed".into())],
        "orphans go back; one out of attempts is dead"
    );

    // Alive but stuck past the hard lock timeout.
    sqlx::query("update task_queue set locked_at = now() - interval '2 hours' where id = $1")
        .bind(alive)
        .execute(&env.owner)
        .await
        .unwrap();
    let rescued = repo::rescue(&env.owner, hb, lock).await.unwrap();
    assert_eq!(rescued, vec![(alive, "pending".to_string())]);
    // The stuck worker's late result does not touch a task it no longer holds.
    assert_eq!(
        repo::complete(&env.owner, "w-alive", &[alive])
            .await
            .unwrap(),
        0
    );
    assert_eq!(status(&env.owner, alive).await.0, "pending");
}

#[tokio::test]
async fn tasks_claimed_ahead_but_not_started_go_back_at_shutdown() {
    let env = env().await;
    let (registry, started) = slow_registry(Duration::from_millis(500));
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(enqueue_owner(&env, NewTask::new("slow", json!({}))).await);
    }
    // One slot, a batch of ten: the first claim takes all five, one runs, four wait.
    let config = WorkerConfig {
        concurrency: 1,
        batch_size: 10,
        ..quick_poll()
    };
    let worker = start_worker(&env, Arc::new(registry), config).await;
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("a task starts");
    let running: i64 =
        sqlx::query_scalar("select count(*) from task_queue where status = 'running'")
            .fetch_one(&env.owner)
            .await
            .unwrap();
    assert_eq!(running, 5, "claimed ahead of the free slot");
    worker.stop().await;
    let mut done = 0;
    for id in ids {
        match status(&env.owner, id).await {
            (s, 1) if s == "done" => done += 1,
            (s, attempts) => assert_eq!((s.as_str(), attempts), ("pending", 0), "task {id}"),
        }
    }
    assert_eq!(
        done, 1,
        "only the started task ran; the waiting ones were handed back unspent"
    );
}

#[tokio::test]
async fn a_claim_can_complete_finished_tasks_in_the_same_statement() {
    let env = env().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(enqueue_owner(&env, NewTask::new("k", json!({}))).await);
    }
    repo::heartbeat(&env.owner, "w").await.unwrap();
    let first = repo::claim(&env.owner, "w", 2).await.unwrap();
    assert_eq!(first.iter().map(|t| t.id).collect::<Vec<_>>(), ids[..2]);
    // Another worker's task id in `done` is ignored: only this worker's running tasks complete.
    let next = repo::claim_completing(&env.owner, "w", 5, &[ids[0]])
        .await
        .unwrap();
    assert_eq!(next.iter().map(|t| t.id).collect::<Vec<_>>(), [ids[2]]);
    assert_eq!(status(&env.owner, ids[0]).await, ("done".into(), 1));
    assert_eq!(status(&env.owner, ids[1]).await, ("running".into(), 1));
    let none = repo::claim_completing(&env.owner, "other", 5, &[ids[1]])
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(
        status(&env.owner, ids[1]).await,
        ("running".into(), 1),
        "not other's to complete"
    );
}

#[tokio::test]
async fn results_written_alongside_claims_are_not_lost_at_shutdown() {
    const TASKS: i64 = 20_000;
    let env = env().await;
    let runs: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let mut registry = Registry::new();
    let seen = runs.clone();
    registry.register_fn("quick", move |ctx: TaskCtx, _: Value| {
        let seen = seen.clone();
        async move {
            *seen.lock().unwrap().entry(ctx.task_id).or_default() += 1;
            Ok(())
        }
    });
    sqlx::query(
        "insert into task_queue (kind, payload) select 'quick', '{}'::jsonb \
         from generate_series(1, $1)",
    )
    .bind(TASKS)
    .execute(&env.owner)
    .await
    .unwrap();
    // Quick tasks: claims run ahead and writes go on while the worker claims and runs more.
    let config = WorkerConfig {
        concurrency: 8,
        batch_size: 16,
        ..quick_poll()
    };
    let worker = start_worker(&env, Arc::new(registry), config).await;
    wait_until("some tasks ran", Duration::from_secs(20), || async {
        runs.lock().unwrap().len() >= 500
    })
    .await;
    // Stop in the middle of the stream: claims, runs and writes are all under way.
    worker.stop().await;

    let runs = runs.lock().unwrap().clone();
    assert!(runs.values().all(|&n| n == 1), "a task ran twice");
    assert!(
        (runs.len() as i64) < TASKS,
        "the worker stopped before the queue was empty"
    );
    let rows: Vec<(i64, String, i32)> =
        sqlx::query_as("select id, status, attempts from task_queue where kind = 'quick'")
            .fetch_all(&env.owner)
            .await
            .unwrap();
    assert_eq!(rows.len() as i64, TASKS);
    for (id, state, attempts) in rows {
        if runs.contains_key(&id) {
            // Its result was written before the worker signed off, not handed back to run again.
            assert_eq!((state.as_str(), attempts), ("done", 1), "task {id} ran");
        } else {
            // Never started (claimed ahead, or by a claim under way at the stop): unspent.
            assert_eq!(
                (state.as_str(), attempts),
                ("pending", 0),
                "task {id} did not run"
            );
        }
    }
    let workers: i64 = sqlx::query_scalar("select count(*) from task_workers")
        .fetch_one(&env.owner)
        .await
        .unwrap();
    assert_eq!(workers, 0, "signed off");
}
