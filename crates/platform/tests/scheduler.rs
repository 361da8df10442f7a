//! The periodic jobs against a real PostgreSQL: the in-process scheduler runs each slot once
//! across instances; the cleanup procedure deletes what it should; with pg_cron, registration
//! creates the jobs and pg_cron really runs one (the slow test, up to ~75 s).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use platform::{
    scheduler::{self, InternalScheduler, Job, SchedulerMode, Started, pg_cron},
    testing::TestDb,
};
use sqlx::{Connection, PgConnection, PgPool, postgres::PgPoolOptions};
use tokio_util::sync::CancellationToken;

async fn owner_pool(db: &TestDb) -> PgPool {
    PgPoolOptions::new()
        .max_connections(3)
        .connect_with(db.owner_options())
        .await
        .unwrap()
}

async fn probe_table(pool: &PgPool) {
    sqlx::query(
        "create table sched_probe (n serial primary key, at timestamptz default clock_timestamp())",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn two_instances_racing_on_a_slot_run_it_once() {
    let db = TestDb::new().await;
    let pool = owner_pool(&db).await;
    probe_table(&pool).await;
    // The job takes a moment, so the second instance arrives while the first still runs it.
    let job = Job::new(
        "probe",
        "* * * * *",
        "select pg_sleep(0.1); insert into sched_probe default values",
    );
    let a = InternalScheduler::new(owner_pool(&db).await, vec![job.clone()]).unwrap();
    let b = InternalScheduler::new(owner_pool(&db).await, vec![job.clone()]).unwrap();

    let first = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    let mut slot = first;
    for _ in 0..8 {
        let (ran_a, ran_b) = tokio::join!(a.run_slot(&job, slot), b.run_slot(&job, slot));
        let (ran_a, ran_b) = (ran_a.unwrap(), ran_b.unwrap());
        assert!(
            ran_a ^ ran_b,
            "exactly one instance ran {slot}: {ran_a} {ran_b}"
        );
        slot = a.next_slot("probe", slot).unwrap();
    }
    assert_eq!(slot, first + chrono::Duration::minutes(8));
    // An instance that reaches a slot after it ran (late clock, slow start) does not rerun it.
    assert!(!b.run_slot(&job, first).await.unwrap());
    assert!(!a.run_slot(&job, first).await.unwrap());

    assert_eq!(count(&pool, "select count(*) from sched_probe").await, 8);
    assert_eq!(
        count(
            &pool,
            "select count(*) from scheduled_runs where job = 'probe'"
        )
        .await,
        8
    );
}

#[tokio::test]
async fn running_schedulers_run_each_due_slot_once() {
    let db = TestDb::new().await;
    let pool = owner_pool(&db).await;
    probe_table(&pool).await;
    // Every second (the in-process scheduler takes a seconds field), so the loop is seen
    // working without waiting for minutes.
    let job = Job::new(
        "tick",
        "* * * * * *",
        "insert into sched_probe default values",
    );
    let shutdown = CancellationToken::new();
    let mut loops = Vec::new();
    for _ in 0..2 {
        let s = InternalScheduler::new(owner_pool(&db).await, vec![job.clone()]).unwrap();
        loops.push(tokio::spawn(s.run(shutdown.clone())));
    }
    tokio::time::sleep(Duration::from_millis(3500)).await;
    shutdown.cancel();
    for l in loops {
        tokio::time::timeout(Duration::from_secs(10), l)
            .await
            .expect("the scheduler stops")
            .unwrap();
    }
    let runs = count(&pool, "select count(*) from sched_probe").await;
    let slots = count(
        &pool,
        "select count(*) from scheduled_runs where job = 'tick'",
    )
    .await;
    assert!(slots >= 2, "the loop ran the job ({slots} slots)");
    assert_eq!(runs, slots, "one execution per slot across both instances");
    let whole_seconds = count(
        &pool,
        "select count(*) from scheduled_runs where slot = date_trunc('second', slot)",
    )
    .await;
    assert_eq!(whole_seconds, slots, "slots are the schedule's instants");
}

#[tokio::test]
async fn a_failing_run_leaves_its_slot_unclaimed() {
    let db = TestDb::new().await;
    let job = Job::new("broken", "* * * * *", "select * from no_such_table");
    let s = InternalScheduler::new(owner_pool(&db).await, vec![job.clone()]).unwrap();
    let slot = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    assert!(s.run_slot(&job, slot).await.is_err());
    let pool = owner_pool(&db).await;
    assert_eq!(count(&pool, "select count(*) from scheduled_runs").await, 0);
    assert!(
        InternalScheduler::new(pool, vec![Job::new("bad", "every tuesday", "select 1")]).is_err(),
        "bad schedules are refused up front"
    );
}

#[tokio::test]
async fn the_standard_jobs_run_and_cleanup_deletes_old_finished_tasks() {
    let db = TestDb::new().await;
    let pool = owner_pool(&db).await;
    let insert = |status: &'static str, finished_days_ago: Option<i32>| {
        let pool = pool.clone();
        async move {
            let id: i64 = sqlx::query_scalar(
                "insert into task_queue (kind, status, attempts, locked_at, locked_by, finished_at) \
                 values ('k', $1, 1, null, null, now() - make_interval(days => $2)) returning id",
            )
            .bind(status)
            .bind(finished_days_ago)
            .fetch_one(&pool)
            .await
            .unwrap();
            id
        }
    };
    let _done_old = insert("done", Some(8)).await;
    let done_recent = insert("done", Some(6)).await;
    let _failed_old = insert("failed", Some(31)).await;
    let failed_recent = insert("failed", Some(29)).await;
    let pending = insert("pending", None).await;
    sqlx::query(
        "insert into scheduled_runs (job, slot) values ('old', now() - interval '40 days'), \
         ('new', now() - interval '1 day')",
    )
    .execute(&pool)
    .await
    .unwrap();

    // Run each standard job through the in-process scheduler, as a deployment without pg_cron.
    let jobs = scheduler::standard_jobs();
    let s = InternalScheduler::new(pool.clone(), jobs.clone()).unwrap();
    let slot = Utc::now();
    for job in &jobs {
        assert!(s.run_slot(job, slot).await.unwrap(), "{} ran", job.name);
    }

    let left: Vec<i64> = sqlx::query_scalar("select id from task_queue order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, vec![done_recent, failed_recent, pending]);
    let runs: Vec<String> = sqlx::query_scalar("select job from scheduled_runs order by job")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        runs,
        vec![
            "cleanup-tasks",
            "loyalty-batch",
            "new",
            "prune-events",
            "purge-driver-pings",
            "purge-expired",
            "refresh-menu-cache"
        ]
    );
}

/// The owner connection of the test database, or `None` (and a note) without pg_cron.
async fn pg_cron_or_skip(db: &TestDb, test: &str) -> Option<String> {
    let mut conn = PgConnection::connect_with(&db.owner_options())
        .await
        .unwrap();
    let cron_db = pg_cron::cron_database(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    if cron_db.is_none() {
        eprintln!(
            "SKIPPED {test}: pg_cron is not installed/preloaded on the test cluster \
             (apt-get install postgresql-15-cron; `make deps` does it)"
        );
    }
    cron_db
}

async fn cron_jobs(db: &TestDb, cron_db: &str) -> Vec<(i64, String, String, String)> {
    let mut conn = PgConnection::connect_with(&db.owner_options().database(cron_db))
        .await
        .unwrap();
    let rows = sqlx::query_as(
        "select jobid, jobname, schedule, command from cron.job where database = $1 \
         order by jobname",
    )
    .bind(&db.name)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    rows
}

#[tokio::test]
async fn pg_cron_registration_creates_the_jobs_idempotently() {
    let db = TestDb::new().await;
    let Some(cron_db) = pg_cron_or_skip(&db, "pg_cron_registration").await else {
        return;
    };
    let started = scheduler::start(
        SchedulerMode::Auto,
        &db.owner_options(),
        scheduler::standard_jobs(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let Started::PgCron(registration) = started else {
        panic!("auto mode picks pg_cron when the server has it: {started:?}");
    };
    assert_eq!(registration.cron_database, cron_db);
    assert_eq!(registration.database, db.name);

    let jobs = cron_jobs(&db, &cron_db).await;
    let named: Vec<(String, String, String)> = jobs
        .iter()
        .map(|(_, n, s, c)| (n.clone(), s.clone(), c.clone()))
        .collect();
    let at = |job: &str| format!("{job}@{}", db.name);
    assert_eq!(
        named,
        vec![
            (
                at("cleanup-tasks"),
                "0 3 * * *".into(),
                "call sous_cleanup_tasks()".into()
            ),
            (
                at("loyalty-batch"),
                "0 * * * *".into(),
                "call sous_loyalty_batch()".into()
            ),
            (
                at("prune-events"),
                "30 3 * * *".into(),
                "select sous_prune_events()".into()
            ),
            (
                at("purge-driver-pings"),
                "*/10 * * * *".into(),
                "select sous_purge_driver_pings()".into()
            ),
            (
                at("purge-expired"),
                "45 * * * *".into(),
                "select sous_purge_expired()".into()
            ),
            (
                at("refresh-menu-cache"),
                "*/5 * * * *".into(),
                "call sous_refresh_menu_cache()".into()
            ),
        ]
    );

    // Again at the next start: the same jobs, updated in place.
    pg_cron::register(&db.owner_options(), &scheduler::standard_jobs())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cron_jobs(&db, &cron_db).await, jobs);

    // A job sous no longer defines is unscheduled.
    let fewer: Vec<Job> = scheduler::standard_jobs()
        .into_iter()
        .filter(|j| j.name != "loyalty-batch")
        .collect();
    pg_cron::register(&db.owner_options(), &fewer)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<String> = cron_jobs(&db, &cron_db)
        .await
        .into_iter()
        .map(|j| j.1)
        .collect();
    assert_eq!(
        names,
        vec![
            at("cleanup-tasks"),
            at("prune-events"),
            at("purge-driver-pings"),
            at("purge-expired"),
            at("refresh-menu-cache")
        ]
    );

    assert_eq!(pg_cron::unregister(&db.owner_options()).await.unwrap(), 5);
    assert!(cron_jobs(&db, &cron_db).await.is_empty());
}

#[tokio::test]
async fn pg_cron_runs_a_registered_job() {
    let db = TestDb::new().await;
    let Some(_) = pg_cron_or_skip(&db, "pg_cron_runs_a_registered_job").await else {
        return;
    };
    let pool = owner_pool(&db).await;
    probe_table(&pool).await;
    let mut jobs = scheduler::standard_jobs();
    jobs.push(Job::new(
        "probe",
        "* * * * *",
        "insert into sched_probe default values",
    ));
    let registered_at: DateTime<Utc> = Utc::now();
    pg_cron::register(&db.owner_options(), &jobs)
        .await
        .unwrap()
        .expect("pg_cron present");
    // pg_cron starts jobs at minute boundaries: the next one is at most 60 s away.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(75);
    let mut ran = 0;
    while tokio::time::Instant::now() < deadline {
        ran = count(&pool, "select count(*) from sched_probe").await;
        if ran > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    pg_cron::unregister(&db.owner_options()).await.unwrap();
    assert!(
        ran > 0,
        "pg_cron did not run the job within 75 s of {registered_at}"
    );
}
