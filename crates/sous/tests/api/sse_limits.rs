//! Bounds of the event streams: a replay reads through a tenant-leading index and at most
//! `sse_replay_limit` events (beyond, `event: reset`), and a principal holds at most
//! `sse_streams_per_principal` streams.

use std::time::Duration;

use platform::{
    auth::Role,
    config::Settings,
    db::TenantScope,
    events::{Channel, repo},
};

use crate::helpers::{SseClient, WAIT, emit, settings, spawn_app_with};

#[tokio::test]
async fn a_resume_beyond_the_replay_limit_is_told_to_reset() {
    let app = spawn_app_with(Settings {
        sse_replay_limit: 3,
        ..settings()
    })
    .await;
    let riyadh = app.demo.riyadh;
    let waiter = app.token(Role::Waiter).await;
    let path = format!("/api/sse/orders?branchId={riyadh}");
    let seen = emit(&app, Some(riyadh), Channel::Orders, None, 0).await;

    // Within the limit: the missed events.
    let missed = [
        emit(&app, Some(riyadh), Channel::Orders, None, 1).await,
        emit(&app, Some(riyadh), Channel::Orders, None, 2).await,
    ];
    let mut resumed = SseClient::open(&app, &path, Some(&waiter), Some(seen))
        .await
        .ok()
        .unwrap();
    assert_eq!(resumed.next(WAIT).await.unwrap().0, missed[0]);
    assert_eq!(resumed.next(WAIT).await.unwrap().0, missed[1]);
    drop(resumed);

    // Further behind: a reset instead of the events, then live events as usual.
    let mut skipped = Vec::new();
    for n in 3..7 {
        skipped.push(emit(&app, Some(riyadh), Channel::Orders, None, n).await);
    }
    // Replays read only events whose transactions are certainly over (older than every
    // running one, cluster-wide); wait until these are, or they would arrive live instead.
    let last = emit(&app, Some(riyadh), Channel::Orders, None, 7).await;
    let mut owner = app.db.owner_conn().await;
    let started = tokio::time::Instant::now();
    loop {
        let done: bool = sqlx::query_scalar(
            "select tx_id < pg_snapshot_xmin(pg_current_snapshot()) from events where id = $1",
        )
        .bind(last)
        .fetch_one(&mut owner)
        .await
        .unwrap();
        if done {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the events are final"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut behind = SseClient::open(&app, &path, Some(&waiter), Some(missed[1]))
        .await
        .ok()
        .unwrap();
    let reset = behind.next_named("reset", WAIT).await.expect("a reset");
    assert_eq!(reset["reason"], "too_far_behind");
    skipped.push(last);
    let live = emit(&app, Some(riyadh), Channel::Orders, None, 8).await;
    // Live delivery waits, like the replay, for older transactions of the cluster to end. On a
    // loaded cluster the live cursor may start before some of the skipped events, which then
    // arrive live after the reset: harmless (the client re-reads anyway), but nothing else may.
    let mut next = behind.next(WAIT * 4).await.unwrap().0;
    for _ in 0..skipped.len() {
        if next == live {
            break;
        }
        assert!(skipped.contains(&next), "unexpected event {next}");
        next = behind.next(WAIT * 4).await.unwrap().0;
    }
    assert_eq!(next, live);

    // An event id that is not there (pruned, or never this brand's): a reset too.
    let mut unknown = SseClient::open(&app, &path, Some(&waiter), Some(live + 1_000_000))
        .await
        .ok()
        .unwrap();
    let reset = unknown.next_named("reset", WAIT).await.expect("a reset");
    assert_eq!(reset["reason"], "unknown_event");
}

#[tokio::test]
async fn the_replay_reads_a_tenant_leading_index() {
    let app = spawn_app_with(settings()).await;
    let (_, other_tenant, other_branch) = app.other_tenant("replayers").await;
    // Enough events of two brands for the planner to choose by cost. They carry an old
    // transaction id: the planner estimates `tx_id < pg_snapshot_xmin(...)` with the snapshot
    // of the moment, and any transaction still open elsewhere in the cluster (other tests run
    // at the same time) would otherwise make every new event look not yet final, and the
    // replay look empty, which a plan on the position index answers as cheaply.
    let mut owner = app.db.owner_conn().await;
    sqlx::query(
        "insert into events (tx_id, tenant_id, branch_id, channel, stream, type, audience) \
         select '2'::xid8, case when g % 2 = 0 then $1 else $2 end, \
                case when g % 2 = 0 then $3 else $4 end, \
                'orders', 'order:x', 'order.placed', \
                case when g % 3 = 0 then gen_random_uuid() end \
         from generate_series(1, 20000) g",
    )
    .bind(app.demo.tenant_id)
    .bind(other_tenant)
    .bind(app.demo.riyadh)
    .bind(other_branch)
    .execute(&mut owner)
    .await
    .unwrap();
    sqlx::query("analyze events")
        .execute(&mut owner)
        .await
        .unwrap();

    for (column, index) in [
        ("branch_id", "events_replay_branch_idx"),
        ("audience", "events_replay_audience_idx"),
    ] {
        let mut tx = app
            .state
            .db
            .begin(TenantScope::tenant(app.demo.tenant_id))
            .await
            .unwrap();
        let plan: Vec<String> =
            sqlx::query_scalar(&format!("explain {}", repo::replay_sql(column)))
                .bind(app.demo.tenant_id)
                .bind(app.demo.riyadh)
                .bind("1")
                .bind(0_i64)
                .bind(1001_i64)
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains(index),
            "replay by {column} uses {index}:\n{plan}"
        );
        let cond = plan
            .lines()
            .find(|l| l.contains("Index Cond"))
            .unwrap_or_default();
        assert!(
            cond.contains("tenant_id =") && cond.contains(&format!("{column} =")),
            "the tenant and the {column} lead the index condition:\n{plan}"
        );
    }
}

#[tokio::test]
async fn a_principal_holds_a_bounded_number_of_streams() {
    let app = spawn_app_with(Settings {
        sse_streams_per_principal: 2,
        ..settings()
    })
    .await;
    let riyadh = app.demo.riyadh;
    let path = format!("/api/sse/orders?branchId={riyadh}");
    let manager = app.manager().await;
    let first = SseClient::open(&app, &path, Some(&manager), None)
        .await
        .ok()
        .unwrap();
    let _second = SseClient::open(&app, &path, Some(&manager), None)
        .await
        .ok()
        .unwrap();
    let third = SseClient::open(&app, &path, Some(&manager), None)
        .await
        .err()
        .expect("over the cap");
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["content-type"], "application/problem+json");
    assert!(third.headers().contains_key("retry-after"));

    // Someone else is not affected.
    let waiter = app.token(Role::Waiter).await;
    assert!(
        SseClient::open(&app, &path, Some(&waiter), None)
            .await
            .is_ok()
    );

    // A closed stream frees its place (noticed when the connection closes).
    drop(first);
    let started = tokio::time::Instant::now();
    loop {
        if SseClient::open(&app, &path, Some(&manager), None)
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the place was freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
