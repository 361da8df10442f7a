//! The listener delivers every committed event exactly once, in order per stream, even when
//! its connection is killed mid-stream.

use std::{collections::HashMap, time::Duration};

use platform::{
    db::{Db, TenantScope},
    events::{Channel, EventBus, NewEvent, append, listener::Listener},
    testing::TestDb,
};
use sqlx::Connection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

async fn tenant(db: &TestDb) -> Uuid {
    let id = Uuid::now_v7();
    let mut conn = db.owner_conn().await;
    sqlx::query("insert into tenants (id, slug, name) values ($1, $2, 'T')")
        .bind(id)
        .bind(format!("t-{}", &id.simple().to_string()[..12]))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    id
}

fn event(tenant: Uuid, stream: &str, n: usize) -> NewEvent<'_> {
    NewEvent {
        tenant_id: tenant,
        branch_id: None,
        channel: Channel::Orders,
        stream,
        kind: "test.event",
        audience: None,
        payload: serde_json::json!({ "n": n }),
    }
}

async fn emit(app: &Db, tenant: Uuid, stream: &str, n: usize) {
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    append(&mut tx, event(tenant, stream, n)).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn listener_survives_a_killed_connection_without_loss_or_duplicates() {
    let db = TestDb::new().await;
    let tenant = tenant(&db).await;
    let app = Db::connect_with(db.app_options(), 4).await.unwrap();
    let bus = EventBus::new(10_000);
    let mut rx = bus.subscribe();
    let cancel = CancellationToken::new();
    let listener = Listener::new(db.owner_options(), bus.clone())
        .await
        .unwrap();
    let task = tokio::spawn(listener.run(cancel.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    const STREAMS: usize = 3;
    const PER_STREAM: usize = 60;
    let writers: Vec<_> = (0..STREAMS)
        .map(|s| {
            let app = app.clone();
            tokio::spawn(async move {
                for n in 0..PER_STREAM {
                    emit(&app, tenant, &format!("order:{s}"), n).await;
                }
            })
        })
        .collect();
    // Kill the LISTEN backend a few times while events flow.
    let mut owner = db.owner_conn().await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "select pg_terminate_backend(pid) from pg_stat_activity \
             where application_name = 'sous-events-listener' and datname = current_database()",
        )
        .fetch_all(&mut owner)
        .await
        .unwrap();
        assert!(killed.iter().all(|k| *k));
    }
    for w in writers {
        w.await.unwrap();
    }

    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    let mut ids = std::collections::HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while ids.len() < STREAMS * PER_STREAM {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("all events within 20 s")
            .unwrap();
        assert!(ids.insert(e.id), "event {} delivered twice", e.id);
        seen.entry(e.stream.clone())
            .or_default()
            .push(e.payload["n"].as_i64().unwrap());
    }
    for (stream, ns) in &seen {
        let expected: Vec<i64> = (0..PER_STREAM as i64).collect();
        assert_eq!(ns, &expected, "{stream} out of order or incomplete");
    }
    // Nothing more arrives: exactly once.
    assert!(
        tokio::time::timeout(Duration::from_millis(1200), rx.recv())
            .await
            .is_err()
    );
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn rolled_back_events_are_never_delivered() {
    let db = TestDb::new().await;
    let tenant = tenant(&db).await;
    let app = Db::connect_with(db.app_options(), 2).await.unwrap();
    let bus = EventBus::new(100);
    let mut rx = bus.subscribe();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(
        Listener::new(db.owner_options(), bus)
            .await
            .unwrap()
            .run(cancel.clone()),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    append(&mut tx, event(tenant, "order:x", 0)).await.unwrap();
    tx.rollback().await.unwrap();
    emit(&app, tenant, "order:y", 1).await;
    let e = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.stream, "order:y");
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn pruning_removes_events_past_the_retention_window() {
    let db = TestDb::new().await;
    let tenant = tenant(&db).await;
    let app = Db::connect_with(db.app_options(), 2).await.unwrap();
    emit(&app, tenant, "order:old", 1).await;
    emit(&app, tenant, "order:new", 2).await;
    let mut owner = db.owner_conn().await;
    sqlx::query(
        "update events set created_at = now() - interval '8 days' where stream = 'order:old'",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into sse_ticket_uses (jti, used_at) values (gen_random_uuid(), now() - interval '2 hours'), \
         (gen_random_uuid(), now())",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let pruned: i64 = sqlx::query_scalar("select sous_prune_events()")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let left: Vec<String> = sqlx::query_scalar("select stream from events")
        .fetch_all(&mut owner)
        .await
        .unwrap();
    assert_eq!(left, ["order:new"]);
    let tickets: i64 = sqlx::query_scalar("select count(*) from sse_ticket_uses")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(tickets, 1, "expired ticket uses go too");
}

/// Who NOTIFYs: an ordinary transaction's `events` trigger does, at commit; a transaction begun
/// with `begin_announcing_after_commit` does not (so it never holds PostgreSQL's global notify
/// lock through its flush), and `announce_events` afterwards wakes the listeners.
#[tokio::test]
async fn hot_paths_announce_their_events_after_commit() {
    let db = TestDb::new().await;
    let tenant = tenant(&db).await;
    let app = Db::connect_with(db.app_options(), 4).await.unwrap();
    let mut listen = sqlx::postgres::PgListener::connect_with(
        &sqlx::PgPool::connect_with(db.owner_options())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    listen
        .listen(platform::events::listener::CHANNEL)
        .await
        .unwrap();
    let wait = Duration::from_millis(500);

    emit(&app, tenant, "order:a", 1).await;
    let n = tokio::time::timeout(wait, listen.recv()).await;
    assert!(n.is_ok_and(|n| n.is_ok()), "an ordinary commit notifies");

    let mut tx = app
        .begin_announcing_after_commit(TenantScope::tenant(tenant))
        .await
        .unwrap();
    append(&mut tx, event(tenant, "order:b", 1)).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        tokio::time::timeout(wait, listen.recv()).await.is_err(),
        "the hot path's own commit does not notify"
    );
    app.announce_events().await;
    let n = tokio::time::timeout(wait, listen.recv()).await;
    assert!(n.is_ok_and(|n| n.is_ok()), "the announcement does");

    // The setting is the transaction's only: the next ordinary commit on the pool notifies.
    emit(&app, tenant, "order:c", 1).await;
    let n = tokio::time::timeout(wait, listen.recv()).await;
    assert!(
        n.is_ok_and(|n| n.is_ok()),
        "later transactions notify again"
    );
}
