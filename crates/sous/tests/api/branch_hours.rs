//! A guest's or customer's order for pickup, takeaway or a table needs the branch open: now, or
//! at the time the order is scheduled for. The till is in the branch and rings up orders
//! whatever the published hours say.

use chrono::{Duration, Utc};
use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, key, line, menu, place, spawn_app};

/// The branch opens tomorrow (its local day after today), all day, and at no other time.
async fn open_only_tomorrow(app: &TestApp, branch: Uuid) {
    sqlx::query(
        "update branches set opening_hours = jsonb_build_object( \
             to_char((now() at time zone time_zone) + interval '1 day', 'dy'), \
             jsonb_build_array(jsonb_build_array('00:00', '00:00'))) where id = $1",
    )
    .bind(branch)
    .execute(&mut app.db.owner_conn().await)
    .await
    .unwrap();
}

#[tokio::test]
async fn orders_at_a_closed_branch_are_refused_unless_scheduled_for_an_open_time() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    open_only_tomorrow(&app, riyadh).await;
    let customer = app.token(Role::Customer).await;
    let order = |scheduled: Option<chrono::DateTime<Utc>>| -> Value {
        json!({ "branchId": riyadh, "type": "pickup", "scheduledFor": scheduled,
                "lines": [line(&m, "Karak Tea", 1)] })
    };

    let now = place(&app, &customer, &key(), &order(None)).await;
    assert_eq!(
        (now.status.as_u16(), now.body["code"].as_str()),
        (422, Some("branch_closed")),
        "{}",
        now.body
    );
    let later = place(
        &app,
        &customer,
        &key(),
        &order(Some(Utc::now() + Duration::days(2))),
    )
    .await;
    assert_eq!(later.status, 422, "closed then too: {}", later.body);
    assert_eq!(app.scalar("select count(*) from orders").await, 0);

    // Scheduled for tomorrow, when it is open: taken.
    let tomorrow = place(
        &app,
        &customer,
        &key(),
        &order(Some(Utc::now() + Duration::days(1))),
    )
    .await
    .expect(201);
    assert!(tomorrow["scheduledFor"].is_string(), "{tomorrow}");

    // The till rings up an order now all the same.
    let cashier = app.cashier().await;
    place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway", "lines": [line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
}
