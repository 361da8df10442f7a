//! A manager's PIN for one action on a kitchen screen: the screen's session carries kitchen
//! rights whoever signed in, a recall after the recall window needs a manager, and the manager's
//! PIN in `X-Manager-Pin` approves that one request — the next one without it is refused again.

use std::time::Duration;

use platform::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Res, TestApp, at, spawn_app};

async fn recall(app: &TestApp, token: &str, ticket: &Value, pin: Option<&str>) -> Res {
    let path = format!(
        "/api/kitchen/tickets/{}/recall",
        ticket["id"].as_str().unwrap()
    );
    let headers: Vec<(&str, &str)> = pin.map(|p| ("X-Manager-Pin", p)).into_iter().collect();
    app.call_with(Method::POST, &path, Some(token), Some(json!({})), &headers)
        .await
}

/// A Riyadh pickup order of fries, accepted, its fryer ticket bumped on the kitchen screen,
/// with a recall window of zero seconds, so any recall is a late one.
async fn bumped_ticket(app: &TestApp, kds: &str) -> (String, Value) {
    let riyadh = app.demo.riyadh;
    let (waiter, manager) = (app.token(Role::Waiter).await, app.manager().await);
    let id = app.order().line("French Fries", 1).placed_id(&waiter).await;
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    let fryer = at(&app.tickets_of(kds, &id).await, "fryer").clone();
    app.ticket_action(kds, &fryer, "bump").await.expect(200);
    app.call(
        Method::PUT,
        &format!("/api/branches/{riyadh}/kitchen/settings"),
        Some(&manager),
        Some(json!({ "recallSeconds": 0 })),
    )
    .await
    .expect(200);
    tokio::time::sleep(Duration::from_millis(20)).await;
    (id, fryer)
}

#[tokio::test]
async fn a_managers_pin_approves_one_late_recall_on_the_kitchen_screen() {
    let app = spawn_app().await;
    let screen = app.kitchen_screen(app.demo.riyadh, "5555").await;
    let kds = screen.token.clone();
    let cook = app.demo_pin_user("5555").await;
    let manager = app.demo_pin_user("2222").await;
    let (id, fryer) = bumped_ticket(&app, &kds).await;
    let waiter = app.token(Role::Waiter).await;
    let bumped = format!("/api/branches/{}/kitchen/bumped", app.demo.riyadh);
    let listed = app.get(&bumped, &kds).await.expect(200);
    assert_eq!(
        listed[0]["id"], fryer["id"],
        "the screen lists what it may recall"
    );
    assert_eq!(listed[0]["status"], "bumped");
    let other_station = app
        .get(&format!("{bumped}?station=grill"), &kds)
        .await
        .expect(200);
    assert!(
        other_station
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != fryer["id"])
    );

    // Alone, the kitchen may not recall after the window.
    let alone = recall(&app, &kds, &fryer, None).await;
    assert_eq!(
        (alone.status.as_u16(), alone.code()),
        (403, "manager_pin_required")
    );
    assert!(
        alone.body["detail"]
            .as_str()
            .unwrap()
            .contains("X-Manager-Pin")
    );
    // A cashier's PIN, or a wrong one, approves nothing and is counted and audited.
    for pin in ["3333", "9090"] {
        let res = recall(&app, &kds, &fryer, Some(pin)).await;
        assert_eq!(res.status, 403, "{pin}: {}", res.body);
    }
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'approval.refused'")
            .await,
        2
    );
    // A PIN that is no PIN is bad input, named, and not counted.
    let bad = recall(&app, &kds, &fryer, Some("12ab")).await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body["errors"]["X-Manager-Pin"].is_array(),
        "{}",
        bad.body
    );
    assert_eq!(
        app.scalar(
            "select coalesce(sum(failures), 0)::int8 from pin_attempts where scope = 'approval'"
        )
        .await,
        2
    );
    assert_eq!(
        app.order_status(&waiter, &id).await,
        "ready",
        "nothing changed"
    );

    // The manager's PIN: the ticket is back, the order is preparing again.
    let back = recall(&app, &kds, &fryer, Some("2222")).await.expect(200);
    assert_eq!(back["status"], "started");
    assert_eq!(app.order_status(&waiter, &id).await, "preparing");
    let listed = app.get(&bumped, &kds).await.expect(200);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != fryer["id"]),
        "recalled"
    );
    let (actor, role, approver, on_device): (uuid::Uuid, String, String, String) = sqlx::query_as(
        "select actor_id, actor_role::text, after->>'approvedBy', after->>'deviceId' \
             from audit_log where action = 'ticket.recalled' and entity_id = $1",
    )
    .bind(fryer["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap())
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    assert_eq!(
        (actor, role.as_str()),
        (cook, "kitchen"),
        "done by the cook"
    );
    assert_eq!(approver, manager.to_string(), "approved by the manager");
    assert_eq!(on_device, screen.device.to_string());

    // The approval was for that recall only: the session is still the kitchen's.
    app.ticket_action(&kds, &fryer, "bump").await.expect(200);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = recall(&app, &kds, &fryer, None).await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (403, "manager_pin_required")
    );
    app.get("/api/staff", &kds).await.expect(403);
}

#[tokio::test]
async fn a_manager_signed_in_on_the_kitchen_screen_still_needs_their_pin() {
    let app = spawn_app().await;
    let kds = app.kitchen_screen(app.demo.riyadh, "2222").await.token;
    // The manager signs in on the screen: kitchen rights, like anyone there.
    let (_, fryer) = bumped_ticket(&app, &kds).await;
    let alone = recall(&app, &kds, &fryer, None).await;
    assert_eq!(
        (alone.status.as_u16(), alone.code()),
        (403, "manager_pin_required")
    );
    // Signed in as themselves, off the screen, a manager approves their own late recall.
    let manager = app.manager().await;
    recall(&app, &manager, &fryer, None).await.expect(200);
    assert_eq!(
        app.scalar(
            "select count(*) from audit_log where action = 'ticket.recalled' \
                     and actor_id::text = after->>'approvedBy'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn wrong_manager_pins_on_the_kitchen_screen_lock_its_approvals() {
    let app = spawn_app().await;
    let kds = app.kitchen_screen(app.demo.riyadh, "5555").await.token;
    let (_, fryer) = bumped_ticket(&app, &kds).await;
    for n in 1..=5 {
        let res = recall(&app, &kds, &fryer, Some("9090")).await;
        assert_eq!(res.status, 403, "attempt {n}: {}", res.body);
    }
    // Locked, even for the right PIN, with a time to come back.
    let locked = recall(&app, &kds, &fryer, Some("2222")).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.headers.contains_key("retry-after"));
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'approval.refused'")
            .await,
        6
    );
}
