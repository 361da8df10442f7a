//! Who may move an order by hand (`POST /api/orders/{id}/status`): drivers only through the
//! delivery endpoints (no one marks an order delivered without the hand-over code), the
//! kitchen only through its tickets, and only a cashier or a manager ends an order — with a
//! reason, kept on the order and in its event. A refusal is a 403 that changes nothing.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    catalog::menu,
    helpers::{Res, TestApp, key, spawn_app},
    orders::{count, line, place},
};

async fn takeaway(app: &TestApp, token: &str) -> String {
    let m = menu(app, app.demo.riyadh).await;
    let body = json!({ "branchId": app.demo.riyadh, "type": "takeaway",
                       "lines": [line(&m, "Karak Tea", 1)] });
    place(app, token, &key(), &body).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) -> Res {
    app.post(&format!("/api/orders/{id}/status"), Some(token), body)
        .await
}

/// The order's status, its history and its events, to show a refusal changed none of them.
async fn trace(app: &TestApp, id: &str) -> (String, i64, i64) {
    let status = app
        .get(
            &format!("/api/orders/{id}"),
            &app.token(Role::Manager).await,
        )
        .await
        .expect(200)["status"]
        .as_str()
        .unwrap()
        .to_string();
    let history = count(
        app,
        &format!("select count(*) from order_status_history where order_id = '{id}'"),
    )
    .await;
    let events = count(
        app,
        &format!("select count(*) from events where stream = 'order:{id}'"),
    )
    .await;
    (status, history, events)
}

#[tokio::test]
async fn the_kitchen_drivers_and_waiters_cannot_end_or_skip_steps() {
    let app = spawn_app().await;
    let cashier = app.token(Role::Cashier).await;
    let id = takeaway(&app, &cashier).await;
    let before = trace(&app, &id).await;
    let (kitchen, driver, waiter) = (
        app.token(Role::Kitchen).await,
        app.token(Role::Driver).await,
        app.token(Role::Waiter).await,
    );
    let cancel = json!({ "status": "cancelled", "reason": "kitchen says so" });
    let void = json!({ "status": "voided", "reason": "mistake" });
    let refused = [
        (&kitchen, json!({ "status": "accepted" })),
        (&kitchen, cancel.clone()),
        (&kitchen, void.clone()),
        (&driver, json!({ "status": "accepted" })),
        (&driver, cancel.clone()),
        (&waiter, cancel.clone()),
        (&waiter, void.clone()),
    ];
    for (token, body) in refused {
        let res = step(&app, token, &id, body.clone()).await;
        assert_eq!(res.status, 403, "{body}: {}", res.body);
    }
    assert_eq!(trace(&app, &id).await, before, "nothing changed");

    // The floor takes the service steps.
    step(&app, &waiter, &id, json!({ "status": "accepted" }))
        .await
        .expect(200);
    // A cashier cancels, with a reason: kept on the order and in its event.
    let res = step(&app, &cashier, &id, json!({ "status": "cancelled" })).await;
    assert_eq!(res.status, 422, "a reason is required: {}", res.body);
    step(
        &app,
        &cashier,
        &id,
        json!({ "status": "cancelled", "reason": "guest left" }),
    )
    .await
    .expect(200);
    assert_eq!(
        count(
            &app,
            &format!(
                "select count(*) from orders where id = '{id}' and status_reason = 'guest left'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "select count(*) from events where stream = 'order:{id}' \
                 and type = 'order.cancelled' and payload ->> 'reason' = 'guest left'"
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn no_one_marks_an_order_delivered_without_the_hand_over() {
    let app = spawn_app().await;
    let cashier = app.token(Role::Cashier).await;
    let id = takeaway(&app, &cashier).await;
    // An order with a driver (as the delivery endpoints leave it): a delivery on its way.
    sqlx::query("update orders set type = 'delivery', status = 'out_for_delivery' where id = $1")
        .bind(id.parse::<Uuid>().unwrap())
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    let before = trace(&app, &id).await;
    for role in [Role::Driver, Role::Cashier, Role::Manager, Role::Owner] {
        let token = app.token(role).await;
        let res = step(&app, &token, &id, json!({ "status": "delivered" })).await;
        assert_eq!(res.status, 403, "{role:?}: {}", res.body);
    }
    let driver = app.token(Role::Driver).await;
    let res = step(&app, &driver, &id, json!({ "status": "out_for_delivery" })).await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(trace(&app, &id).await, before, "nothing changed");
}
