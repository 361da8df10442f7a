//! What happens to an order after it is placed: it moves only along its lifecycle, cancelling
//! needs a reason, a paid order is voided (by a manager or with a manager's PIN) rather than
//! cancelled, every step is recorded in the order's history and events, and the order list
//! shows only what the caller may see.

use serde_json::json;

use crate::helpers::{assert_books, key, line, menu, place, spawn_app};

#[tokio::test]
async fn orders_move_only_along_their_lifecycle() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let m = menu(&app, riyadh).await;
    let takeaway =
        json!({ "branchId": riyadh, "type": "takeaway", "lines": [line(&m, "French Fries", 1)] });
    let order = place(&app, &cashier, &key(), &takeaway).await.expect(201);
    let id = order["id"].as_str().unwrap();

    assert_eq!(
        app.set_status(&cashier, id, "ready", None).await.status,
        409,
        "no skipping"
    );
    for step in ["accepted", "preparing", "ready"] {
        app.set_status(&cashier, id, step, None).await.expect(200);
    }
    let res = app.set_status(&cashier, id, "served", None).await;
    assert_eq!(res.status, 409, "a takeaway is picked up, not served");
    assert_eq!(res.code(), "illegal_transition");
    app.set_status(&cashier, id, "picked_up", None)
        .await
        .expect(200);
    let closed = app
        .set_status(&cashier, id, "closed", None)
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(
        app.set_status(&manager, id, "voided", Some("x"))
            .await
            .status,
        409,
        "closed is final"
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from order_status_history where order_id = '{id}'"
        ))
        .await,
        6
    );
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where stream = 'order:{id}'"
        ))
        .await,
        6,
        "every step is an orders event"
    );

    // Cancelling needs a reason and undoes the sale in the books.
    let order = place(&app, &cashier, &key(), &takeaway).await.expect(201);
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&cashier, id, "cancelled", None).await.status,
        422
    );
    app.set_status(&cashier, id, "cancelled", Some("guest left"))
        .await
        .expect(200);
    // The history says what happened, oldest first, with the reason and who did it; a guest
    // who did not place the order does not find it.
    let history = app
        .get(&format!("/api/orders/{id}/history"), &cashier)
        .await
        .expect(200);
    let steps = history.as_array().unwrap();
    assert_eq!(steps.len(), 2, "{history}");
    assert_eq!(steps[0]["from"], serde_json::Value::Null);
    assert_eq!(steps[0]["to"], "placed");
    assert_eq!(steps[1]["from"], "placed");
    assert_eq!(steps[1]["to"], "cancelled");
    assert_eq!(steps[1]["reason"], "guest left");
    assert!(steps[1]["actorId"].is_string(), "{history}");
    assert!(steps[0]["at"].as_str() <= steps[1]["at"].as_str());
    let guest = app.guest_token(riyadh).await;
    assert_eq!(
        app.get(&format!("/api/orders/{id}/history"), &guest)
            .await
            .status,
        404
    );

    // A paid order: voiding needs a manager (by PIN from a cashier's till).
    let order = app
        .order()
        .line("French Fries", 1)
        .paid_cash(&cashier)
        .await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&cashier, id, "voided", Some("mistake"))
            .await
            .status,
        422,
        "a cashier voids a paid order only with a manager's PIN"
    );
    assert_eq!(
        app.set_status(&cashier, id, "cancelled", Some("mistake"))
            .await
            .status,
        409,
        "a paid order is voided, not cancelled"
    );
    let unpaid = place(&app, &cashier, &key(), &takeaway).await.expect(201);
    let uid = unpaid["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(&cashier, uid, "voided", Some("mistake"))
            .await
            .status,
        403
    );
    app.set_status(&manager, uid, "voided", Some("mistake"))
        .await
        .expect(200);
    assert_books(&app).await;

    // Staff of another branch and other guests do not see it.
    let guest = app.guest_token(riyadh).await;
    let res = app.get(&format!("/api/orders/{id}"), &guest).await;
    assert_eq!(res.status, 404);
    let listed = app
        .get(
            &format!("/api/orders?branchId={riyadh}&status=voided"),
            &cashier,
        )
        .await
        .expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let res = app
        .get(
            &format!("/api/orders?branchId={}", app.demo.dubai),
            &cashier,
        )
        .await;
    assert_eq!(res.status, 403);
}
