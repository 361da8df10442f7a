//! Event streams: scoped delivery, resume with Last-Event-ID, slow clients dropped, tickets.

use std::{sync::Arc, time::Duration};

use platform::{
    auth::Role,
    events::{Channel, Event},
};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{SseClient, WAIT, emit, settings, spawn_app, spawn_app_with};

#[tokio::test]
async fn staff_receive_their_branch_only_and_resume_exactly() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let waiter = app.token(Role::Waiter).await;
    let path = format!("/api/sse/orders?branchId={riyadh}");
    let mut client = SseClient::open(&app, &path, Some(&waiter), None)
        .await
        .ok()
        .unwrap();

    emit(&app, Some(dubai), Channel::Orders, None, 0).await;
    let first = emit(&app, Some(riyadh), Channel::Orders, None, 1).await;
    emit(&app, Some(riyadh), Channel::Kitchen, None, 99).await;
    let second = emit(&app, Some(riyadh), Channel::Orders, None, 2).await;
    let (id, data) = client.next(WAIT).await.expect("first event");
    assert_eq!(
        (id, data["payload"]["n"].as_i64()),
        (first, Some(1)),
        "Dubai and kitchen events are not for this stream"
    );
    assert_eq!(data["type"], "order.status_changed");
    assert_eq!(client.next(WAIT).await.unwrap().0, second);
    drop(client);

    // Missed while away: exactly these, in order, then live again.
    let missed: Vec<i64> = [
        emit(&app, Some(riyadh), Channel::Orders, None, 3).await,
        emit(&app, Some(riyadh), Channel::Orders, None, 4).await,
    ]
    .into();
    emit(&app, Some(dubai), Channel::Orders, None, 5).await;
    let mut resumed = SseClient::open(&app, &path, Some(&waiter), Some(second))
        .await
        .ok()
        .unwrap();
    assert_eq!(resumed.next(WAIT).await.unwrap().0, missed[0]);
    assert_eq!(resumed.next(WAIT).await.unwrap().0, missed[1]);
    let live = emit(&app, Some(riyadh), Channel::Orders, None, 6).await;
    assert_eq!(resumed.next(WAIT).await.unwrap().0, live);
    assert!(
        resumed.next(Duration::from_millis(700)).await.is_none(),
        "nothing twice"
    );
}

#[tokio::test]
async fn guests_see_only_their_own_events() {
    let app = spawn_app().await;
    let guest = app.guest_token(app.demo.riyadh).await;
    let me: Uuid = crate::helpers::claims(&guest)["sub"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut client = SseClient::open(&app, "/api/sse/orders", Some(&guest), None)
        .await
        .ok()
        .unwrap();
    emit(&app, Some(app.demo.riyadh), Channel::Orders, None, 1).await;
    emit(
        &app,
        Some(app.demo.riyadh),
        Channel::Orders,
        Some(Uuid::now_v7()),
        2,
    )
    .await;
    let mine = emit(&app, Some(app.demo.riyadh), Channel::Orders, Some(me), 3).await;
    assert_eq!(client.next(WAIT).await.unwrap().0, mine);
    assert!(client.next(Duration::from_millis(500)).await.is_none());
}

#[tokio::test]
async fn denials_and_single_use_tickets() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let status =
        |r: Result<SseClient, reqwest::Response>| r.err().map_or(200, |r| r.status().as_u16());
    let manager = app.manager().await;
    let kitchen = app.token(Role::Kitchen).await;
    assert_eq!(
        status(
            SseClient::open(
                &app,
                &format!("/api/sse/orders?branchId={riyadh}"),
                None,
                None
            )
            .await
        ),
        401
    );
    assert_eq!(
        status(
            SseClient::open(
                &app,
                &format!("/api/sse/gossip?branchId={riyadh}"),
                Some(&manager),
                None
            )
            .await
        ),
        404
    );
    let dubai = format!("/api/sse/orders?branchId={}", app.demo.dubai);
    assert_eq!(
        status(SseClient::open(&app, &dubai, Some(&manager), None).await),
        403,
        "foreign branch"
    );
    assert_eq!(
        status(
            SseClient::open(
                &app,
                &format!("/api/sse/orders?branchId={riyadh}"),
                Some(&kitchen),
                None
            )
            .await
        ),
        403,
        "kitchen sees the kitchen"
    );
    assert_eq!(
        status(
            SseClient::open(
                &app,
                &format!("/api/sse/kitchen?branchId={riyadh}"),
                Some(&kitchen),
                None
            )
            .await
        ),
        200
    );
    assert_eq!(
        status(SseClient::open(&app, "/api/sse/kitchen", Some(&kitchen), None).await),
        422,
        "staff name the branch"
    );
    let guest = app.guest_token(riyadh).await;
    assert_eq!(
        status(SseClient::open(&app, "/api/sse/inventory", Some(&guest), None).await),
        403
    );

    // A ticket in the query string stands in for the header, once.
    let ticket = app
        .post("/api/sse/tickets", Some(&kitchen), json!({}))
        .await
        .expect(201)["ticket"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/sse/kitchen?branchId={riyadh}&ticket={ticket}");
    assert_eq!(status(SseClient::open(&app, &path, None, None).await), 200);
    assert_eq!(
        status(SseClient::open(&app, &path, None, None).await),
        401,
        "a ticket is single-use"
    );
    let res = app
        .client
        .get(format!("{}/api/me", app.base))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a ticket is not an access token");
}

#[tokio::test]
async fn a_slow_client_is_dropped_while_others_keep_receiving() {
    let mut s = settings();
    s.event_buffer = 32;
    let app = spawn_app_with(s).await;
    let riyadh = app.demo.riyadh;
    let manager = app.manager().await;
    let path = format!("/api/sse/orders?branchId={riyadh}");
    let mut fast = SseClient::open(&app, &path, Some(&manager), None)
        .await
        .ok()
        .unwrap();
    let mut slow = SseClient::open(&app, &path, Some(&manager), None)
        .await
        .ok()
        .unwrap();

    // Large events straight onto the bus: far more than the slow client's socket and buffer hold.
    const N: i64 = 1500;
    let big = "x".repeat(6000);
    let progress = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let seen = progress.clone();
    let reader = tokio::spawn(async move {
        let mut got = 0;
        while got < N {
            if fast.next(Duration::from_secs(10)).await.is_none() {
                break;
            }
            got += 1;
            seen.store(got, std::sync::atomic::Ordering::Release);
        }
        got
    });
    for i in 0..N {
        // Keep the fast client within its buffer; the slow one reads nothing.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while i - progress.load(std::sync::atomic::Ordering::Acquire) > 16
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        app.state.bus.publish(Arc::new(Event {
            id: 1_000_000 + i,
            tx_id: 1_000_000,
            tenant_id: app.demo.tenant_id,
            branch_id: Some(riyadh),
            channel: Channel::Orders,
            stream: "order:load".into(),
            kind: "load".into(),
            audience: None,
            payload: json!({ "blob": big }),
            created_at: chrono::Utc::now(),
            encoded: Default::default(),
        }));
    }
    assert_eq!(reader.await.unwrap(), N, "the fast client got everything");
    let mut slow_got = 0;
    while slow.next(Duration::from_secs(2)).await.is_some() {
        slow_got += 1;
    }
    assert!(
        slow_got < N,
        "the slow client was disconnected (got {slow_got} of {N})"
    );
}
