//! Who accepts the orders guests place: a QR order goes to the kitchen on its own, a website
//! order once it is paid online, each as the branch chose per channel; an order left waiting
//! for staff is cancelled after the branch's time-out and the guest is told why.

use platform::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_books, key, line, menu, place, settings, spawn_app, spawn_app_with,
};

async fn rules(app: &TestApp, token: &str) -> Value {
    app.get(
        &format!("/api/branches/{}/order-acceptance", app.demo.riyadh),
        token,
    )
    .await
    .expect(200)
}

async fn set_rules(app: &TestApp, token: &str, rules: Value) -> crate::helpers::Res {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/branches/{}/order-acceptance", app.demo.riyadh),
        Some(token),
        Some(json!({ "rules": rules })),
    )
    .await
}

/// A guest's order of two shawarmas: at table T1 from a QR session, or a website pickup.
async fn guest_order(app: &TestApp, guest: &str, kind: &str) -> Value {
    let m = menu(app, app.demo.riyadh).await;
    let mut body = json!({ "branchId": app.demo.riyadh, "type": kind,
                           "lines": [line(&m, "Chicken Shawarma", 2)] });
    if kind == "dine_in" {
        body["table"] = json!("T1");
    }
    place(app, guest, &key(), &body).await.expect(201)
}

fn id(order: &Value) -> &str {
    order["id"].as_str().unwrap()
}

#[tokio::test]
async fn a_qr_order_goes_to_the_kitchen_on_its_own() {
    let app = spawn_app().await;
    let kitchen = app.token(Role::Kitchen).await;
    let guest = app.guest_token(app.demo.riyadh).await;
    let order = guest_order(&app, &guest, "dine_in").await;
    assert_eq!(app.order_status(&guest, id(&order)).await, "accepted");
    assert!(!app.tickets_of(&kitchen, id(&order)).await.is_empty());
    let history = app
        .get(&format!("/api/orders/{}/history", id(&order)), &guest)
        .await
        .expect(200);
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "accepted");
    assert_eq!(last["reason"], "accepted automatically");
    // Nothing waits, so no time-out was scheduled.
    assert_eq!(
        app.scalar("select count(*) from task_queue where kind = 'ordering.expire_unaccepted'")
            .await,
        0
    );
}

#[tokio::test]
async fn each_channel_follows_the_branch_rule_and_only_managers_change_it() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let cashier = app.cashier().await;
    let defaults = rules(&app, &cashier).await;
    assert_eq!(
        defaults,
        json!([
            { "channel": "qr", "mode": "auto", "timeoutMinutes": 10 },
            { "channel": "web_pickup", "mode": "paid", "timeoutMinutes": 10 },
            { "channel": "web_delivery", "mode": "paid", "timeoutMinutes": 10 }
        ])
    );
    let staff_qr = json!([{ "channel": "qr", "mode": "staff", "timeoutMinutes": 5 }]);
    assert_eq!(
        set_rules(&app, &cashier, staff_qr.clone()).await.status,
        403
    );
    for bad in [
        json!([{ "channel": "qr", "mode": "staff", "timeoutMinutes": 0 }]),
        json!([{ "channel": "qr", "mode": "sometimes", "timeoutMinutes": 5 }]),
        json!([{ "channel": "qr", "mode": "auto", "timeoutMinutes": 5 },
               { "channel": "qr", "mode": "staff", "timeoutMinutes": 5 }]),
        json!([]),
    ] {
        let res = set_rules(&app, &manager, bad.clone()).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
    }
    assert_eq!(
        rules(&app, &cashier).await,
        defaults,
        "a refusal changes nothing"
    );

    // QR orders now wait for staff; website pickups are accepted as they are placed.
    let after = set_rules(
        &app,
        &manager,
        json!([{ "channel": "qr", "mode": "staff", "timeoutMinutes": 5 },
               { "channel": "web_pickup", "mode": "auto", "timeoutMinutes": 10 }]),
    )
    .await
    .expect(200);
    assert_eq!(after[0]["mode"], "staff");
    assert_eq!(
        after[2]["mode"], "paid",
        "a channel left out keeps its rule"
    );
    let guest = app.guest_token(app.demo.riyadh).await;
    let at_table = guest_order(&app, &guest, "dine_in").await;
    assert_eq!(app.order_status(&guest, id(&at_table)).await, "placed");
    let web = app.website_guest_token(app.demo.riyadh).await;
    let pickup = guest_order(&app, &web, "pickup").await;
    assert_eq!(app.order_status(&web, id(&pickup)).await, "accepted");
    assert_eq!(
        app.scalar(
            "select count(*) from audit_log where action = 'branch.order_acceptance_updated'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_website_order_is_accepted_once_it_is_paid_online() {
    let mut s = settings();
    s.payments.webhook_secret = Some("whsec_test_secret".into());
    let app = spawn_app_with(s).await;
    let web = app.website_guest_token(app.demo.riyadh).await;
    let order = guest_order(&app, &web, "pickup").await;
    assert_eq!(app.order_status(&web, id(&order)).await, "placed");
    let session = app
        .open_payment_session(&web, id(&order), json!({}))
        .await
        .expect(201);
    let (status, _) = app
        .answer_simulator_page(session["sessionId"].as_str().unwrap(), "approve")
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.order_status(&web, id(&order)).await, "accepted");
    assert_books(&app).await;
}

#[tokio::test]
async fn an_order_nobody_accepts_is_cancelled_after_the_time_out_and_the_guest_told() {
    let app = spawn_app().await;
    let web = app.website_guest_token(app.demo.riyadh).await;
    let order = guest_order(&app, &web, "pickup").await;
    let due: i64 = app
        .scalar(&format!(
            "select extract(epoch from t.run_at - o.created_at)::bigint from task_queue t \
             join orders o on o.id = '{}' \
             where t.kind = 'ordering.expire_unaccepted' and t.payload ->> 'orderId' = o.id::text",
            id(&order)
        ))
        .await;
    assert_eq!(due, 600, "the default time-out is ten minutes");
    // Another order is accepted by staff in time: its time-out finds nothing to do.
    let accepted = guest_order(&app, &web, "pickup").await;
    let cashier = app.cashier().await;
    app.set_status(&cashier, id(&accepted), "accepted", None)
        .await
        .expect(200);

    // The ten minutes pass.
    sqlx::query("update task_queue set run_at = now() where kind = 'ordering.expire_unaccepted'")
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    let worker = app.start_worker().await;
    let started = tokio::time::Instant::now();
    while app
        .scalar("select count(*) from task_queue where kind = 'ordering.expire_unaccepted' and status <> 'done'")
        .await
        > 0
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the time-outs ran");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    worker.stop().await;

    assert_eq!(app.order_status(&web, id(&order)).await, "cancelled");
    assert_eq!(app.order_status(&web, id(&accepted)).await, "accepted");
    let reason: i64 = app
        .scalar(&format!(
            "select count(*) from events where type = 'order.cancelled' \
             and payload ->> 'orderId' = '{}' \
             and payload ->> 'reason' = 'Nobody accepted the order in time' \
             and audience is not null",
            id(&order)
        ))
        .await;
    assert_eq!(reason, 1, "the guest is told why");
    assert_books(&app).await;
}
