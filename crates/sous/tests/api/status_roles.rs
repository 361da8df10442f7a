//! Who may move an order by hand (`POST /api/orders/{id}/status`): drivers only through the
//! delivery endpoints (no one marks an order delivered without the hand-over code), the
//! kitchen only through its tickets, and only a cashier or a manager ends an order — with a
//! reason, kept on the order and in its event. A refusal is a 403 that changes nothing.

use platform::auth::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

/// The order's status, its history and its events, to show a refusal changed none of them.
async fn trace(app: &TestApp, id: &str) -> (String, i64, i64) {
    let status = app
        .get(&format!("/api/orders/{id}"), &app.manager().await)
        .await
        .expect(200)["status"]
        .as_str()
        .unwrap()
        .to_string();
    let history = app
        .scalar(&format!(
            "select count(*) from order_status_history where order_id = '{id}'"
        ))
        .await;
    let events = app
        .scalar(&format!(
            "select count(*) from events where stream = 'order:{id}'"
        ))
        .await;
    (status, history, events)
}

#[tokio::test]
async fn the_kitchen_drivers_and_waiters_cannot_end_or_skip_steps() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let id = app.order().line("Karak Tea", 1).placed_id(&cashier).await;
    let before = trace(&app, &id).await;
    let (kitchen, driver, waiter) = (
        app.token(Role::Kitchen).await,
        app.token(Role::Driver).await,
        app.token(Role::Waiter).await,
    );
    let cancel = ("cancelled", Some("kitchen says so"));
    let void = ("voided", Some("mistake"));
    let refused = [
        (&kitchen, ("accepted", None)),
        (&kitchen, cancel),
        (&kitchen, void),
        (&driver, ("accepted", None)),
        (&driver, cancel),
        (&waiter, cancel),
        (&waiter, void),
    ];
    for (token, (to, reason)) in refused {
        let res = app.set_status(token, &id, to, reason).await;
        assert_eq!(res.status, 403, "{to} {reason:?}: {}", res.body);
    }
    assert_eq!(trace(&app, &id).await, before, "nothing changed");

    // The floor takes the service steps.
    app.set_status(&waiter, &id, "accepted", None)
        .await
        .expect(200);
    // A cashier cancels, with a reason: kept on the order and in its event.
    let res = app.set_status(&cashier, &id, "cancelled", None).await;
    assert_eq!(res.status, 422, "a reason is required: {}", res.body);
    app.set_status(&cashier, &id, "cancelled", Some("guest left"))
        .await
        .expect(200);
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from orders where id = '{id}' and status_reason = 'guest left'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where stream = 'order:{id}' \
                 and type = 'order.cancelled' and payload ->> 'reason' = 'guest left'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn no_one_marks_an_order_delivered_without_the_hand_over() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let id = app.order().line("Karak Tea", 1).placed_id(&cashier).await;
    // An order with a driver (as the delivery endpoints leave it): a delivery on its way.
    sqlx::query("update orders set type = 'delivery', status = 'out_for_delivery' where id = $1")
        .bind(id.parse::<Uuid>().unwrap())
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    let before = trace(&app, &id).await;
    for role in [Role::Driver, Role::Cashier, Role::Manager, Role::Owner] {
        let token = app.token(role).await;
        let res = app.set_status(&token, &id, "delivered", None).await;
        assert_eq!(res.status, 403, "{role:?}: {}", res.body);
    }
    let driver = app.token(Role::Driver).await;
    let res = app.set_status(&driver, &id, "out_for_delivery", None).await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(trace(&app, &id).await, before, "nothing changed");
}
