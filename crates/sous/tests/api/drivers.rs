//! Drivers and live tracking: shifts, dispatch to the nearest available driver, a driver sees
//! and changes only their own deliveries, the hand-over code, pings rounded, rate limited and
//! purged, and the customer following the delivery on the `orders` stream.

use std::time::Duration;

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    PASSWORD, Res, SseClient, TestApp, add_zone, always_open, claims, l_shape, spawn_app,
};

struct Setup {
    riyadh: Uuid,
    manager: String,
    customer: String,
}

async fn setup(app: &TestApp) -> Setup {
    always_open(app).await;
    let riyadh = app.demo.riyadh;
    let manager = app.manager().await;
    add_zone(
        app,
        &manager,
        riyadh,
        json!({ "name": "Olaya", "area": l_shape(), "fee": 900, "etaMinutes": 35 }),
    )
    .await;
    Setup {
        riyadh,
        manager,
        customer: app.token(Role::Customer).await,
    }
}

/// A delivery order by the demo customer to (lat, lng) inside the Olaya zone.
async fn delivery_order(app: &TestApp, s: &Setup, lat: f64, lng: f64) -> String {
    app.order()
        .branch(s.riyadh)
        .line("Classic Beef Burger", 2)
        .delivery("Tahlia St 4", lat, lng)
        .placed_id(&s.customer)
        .await
}

/// The kitchen's part, done by the manager: accepted → preparing → ready.
async fn make_ready(app: &TestApp, s: &Setup, order: &str) {
    for status in ["accepted", "preparing", "ready"] {
        app.set_status(&s.manager, order, status, None)
            .await
            .expect(200);
    }
}

/// A second driver at the Riyadh branch, signed in.
async fn second_driver(app: &TestApp) -> String {
    let owner = app.owner().await;
    app.post(
        "/api/staff",
        Some(&owner),
        json!({ "email": "driver2@demo.sous.test", "password": PASSWORD, "displayName": "Second Driver",
                "role": "driver", "branchId": app.demo.riyadh }),
    )
    .await
    .expect(201);
    app.login_as("driver2@demo.sous.test").await["accessToken"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn shift(app: &TestApp, driver: &str, branch: Uuid) {
    app.post(
        "/api/driver/shift",
        Some(driver),
        json!({ "branchId": branch }),
    )
    .await
    .expect(201);
}

async fn ping(app: &TestApp, driver: &str, lat: f64, lng: f64) -> Res {
    app.post(
        "/api/driver/location",
        Some(driver),
        json!({ "lat": lat, "lng": lng }),
    )
    .await
}

async fn act(app: &TestApp, token: &str, order: &str, what: &str, body: Value) -> Res {
    app.post(
        &format!("/api/deliveries/{order}/{what}"),
        Some(token),
        body,
    )
    .await
}

fn user_id(token: &str) -> String {
    claims(token)["sub"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_driver_sees_and_changes_only_their_own_deliveries() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (d1, d2) = (app.token(Role::Driver).await, second_driver(&app).await);
    shift(&app, &d1, s.riyadh).await;
    shift(&app, &d2, s.riyadh).await;
    // A second shift while on one: refused.
    let again = app
        .post(
            "/api/driver/shift",
            Some(&d1),
            json!({ "branchId": s.riyadh }),
        )
        .await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "on_shift"));
    // The demo driver is next to the branch, the second one 2 km away.
    ping(&app, &d1, 24.6906, 46.6856).await.expect(200);
    ping(&app, &d2, 24.7080, 46.6900).await.expect(200);
    let on_shift = app
        .get(&format!("/api/branches/{}/drivers", s.riyadh), &s.manager)
        .await
        .expect(200);
    assert_eq!(on_shift.as_array().unwrap().len(), 2);

    let (o1, o2, o3) = (
        delivery_order(&app, &s, 24.62, 46.62).await,
        delivery_order(&app, &s, 24.63, 46.63).await,
        delivery_order(&app, &s, 24.64, 46.64).await,
    );
    // Automatic dispatch: the nearest free driver, then the next; then nobody is free.
    let a1 = act(&app, &s.manager, &o1, "assign", json!({}))
        .await
        .expect(200);
    assert_eq!(a1["driverId"], user_id(&d1).as_str());
    assert_eq!(a1["status"], "assigned");
    let a2 = act(&app, &s.manager, &o2, "assign", json!({}))
        .await
        .expect(200);
    assert_eq!(a2["driverId"], user_id(&d2).as_str());
    let none = act(&app, &s.manager, &o3, "assign", json!({})).await;
    assert_eq!(
        (none.status.as_u16(), none.code()),
        (409, "no_driver_available")
    );
    // By hand: only a driver on shift here; a driver may not dispatch.
    let stranger = act(
        &app,
        &s.manager,
        &o3,
        "assign",
        json!({ "driverId": Uuid::now_v7() }),
    )
    .await;
    assert_eq!(
        (stranger.status.as_u16(), stranger.code()),
        (409, "driver_not_on_shift")
    );
    assert_eq!(act(&app, &d1, &o3, "assign", json!({})).await.status, 403);

    // Each driver sees their own only.
    let mine = app.get("/api/driver/deliveries", &d2).await.expect(200);
    let ids: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["orderId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![o2.as_str()]);
    assert_eq!(mine[0]["address"], "Tahlia St 4");
    assert!(
        mine[0].get("handoverCode").is_none(),
        "drivers never see the code"
    );
    for what in ["accept", "picked-up"] {
        assert_eq!(
            act(&app, &d2, &o1, what, json!({})).await.status,
            404,
            "{what}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/orders/{o1}/delivery"), &d2)
            .await
            .status,
        404
    );
    // The customer's SSE-free view has the code; the driver's has none.
    let tracking = app
        .get(&format!("/api/orders/{o1}/delivery"), &s.customer)
        .await
        .expect(200);
    let code = tracking["handoverCode"].as_str().unwrap().to_string();
    assert!(code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()));
    let seen = app
        .get(&format!("/api/orders/{o1}/delivery"), &d1)
        .await
        .expect(200);
    assert!(seen["handoverCode"].is_null());

    // d1 accepts; picking up waits for the kitchen.
    act(&app, &d1, &o1, "accept", json!({})).await.expect(200);
    let early = act(&app, &d1, &o1, "picked-up", json!({})).await;
    assert_eq!(
        (early.status.as_u16(), early.code()),
        (409, "order_not_ready")
    );
    make_ready(&app, &s, &o1).await;
    act(&app, &d1, &o1, "picked-up", json!({}))
        .await
        .expect(200);
    assert_eq!(app.order_status(&s.manager, &o1).await, "out_for_delivery");
    // Another driver cannot hand it over, even with the right code.
    assert_eq!(
        act(&app, &d2, &o1, "delivered", json!({ "code": code }))
            .await
            .status,
        404
    );

    // A wrong code is refused (and counted); the right one delivers.
    let wrong = if code == "0000" { "1111" } else { "0000" };
    let res = act(&app, &d1, &o1, "delivered", json!({ "code": wrong })).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (422, "wrong_handover_code"),
        "{}",
        res.body
    );
    assert_eq!(app.order_status(&s.manager, &o1).await, "out_for_delivery");
    assert_eq!(
        app.scalar(&format!(
            "select handover_attempts::bigint from order_deliveries where order_id = '{o1}'"
        ))
        .await,
        1
    );
    let done = act(&app, &d1, &o1, "delivered", json!({ "code": code }))
        .await
        .expect(200);
    assert_eq!(done["status"], "delivered");
    assert_eq!(app.order_status(&s.manager, &o1).await, "delivered");
    // d1 is free again: the third order goes to them.
    let a3 = act(&app, &s.manager, &o3, "assign", json!({}))
        .await
        .expect(200);
    assert_eq!(a3["driverId"], user_id(&d1).as_str());
}

#[tokio::test]
async fn five_wrong_codes_lock_the_hand_over() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let d1 = app.token(Role::Driver).await;
    shift(&app, &d1, s.riyadh).await;
    let o = delivery_order(&app, &s, 24.62, 46.62).await;
    act(
        &app,
        &s.manager,
        &o,
        "assign",
        json!({ "driverId": user_id(&d1) }),
    )
    .await
    .expect(200);
    act(&app, &d1, &o, "accept", json!({})).await.expect(200);
    make_ready(&app, &s, &o).await;
    act(&app, &d1, &o, "picked-up", json!({})).await.expect(200);
    let code = app
        .get(&format!("/api/orders/{o}/delivery"), &s.customer)
        .await
        .expect(200)["handoverCode"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = if code == "0000" { "1111" } else { "0000" };
    for _ in 0..5 {
        assert_eq!(
            act(&app, &d1, &o, "delivered", json!({ "code": wrong }))
                .await
                .status,
            422
        );
    }
    let locked = act(&app, &d1, &o, "delivered", json!({ "code": code })).await;
    assert_eq!(
        (locked.status.as_u16(), locked.code()),
        (409, "handover_locked")
    );
    let malformed = act(&app, &d1, &o, "delivered", json!({ "code": "12a4" })).await;
    assert_eq!(malformed.status, 422);
}

#[tokio::test]
async fn pings_are_rounded_rate_limited_and_purged() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let driver = app.token(Role::Driver).await;
    let waiter = app.token(Role::Waiter).await;
    let off = ping(&app, &driver, 24.69, 46.68).await;
    assert_eq!((off.status.as_u16(), off.code()), (409, "not_on_shift"));
    assert_eq!(ping(&app, &waiter, 24.69, 46.68).await.status, 403);
    shift(&app, &driver, riyadh).await;
    let p = ping(&app, &driver, 24.690_549, 46.685_551)
        .await
        .expect(200);
    assert_eq!(
        (p["lat"].as_f64(), p["lng"].as_f64()),
        (Some(24.6905), Some(46.6856))
    );
    let stored: (f64, f64) = sqlx::query_as("select lat::float8, lng::float8 from driver_pings")
        .fetch_one(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    assert_eq!(
        stored,
        (24.6905, 46.6856),
        "only the rounded position is stored"
    );
    // The off-shift refusal above counted too: 12 a minute in all.
    for _ in 0..10 {
        ping(&app, &driver, 24.69, 46.68).await.expect(200);
    }
    let limited = ping(&app, &driver, 24.69, 46.68).await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.contains_key("retry-after"));
    assert_eq!(app.scalar("select count(*) from driver_pings").await, 11);

    // Two hours on, the purge job removes pings and position events.
    let mut conn = app.db.owner_conn().await;
    sqlx::raw_sql(
        "update driver_pings set at = now() - interval '3 hours' where id in \
           (select id from driver_pings order by id limit 4); \
         insert into events (tenant_id, branch_id, channel, stream, type, payload, created_at) \
           select tenant_id, id, 'orders', 'order:x', 'delivery.position', '{}', now() - interval '3 hours' \
           from branches limit 1",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let purged: i64 = sqlx::query_scalar("select sous_purge_driver_pings()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(purged, 4);
    assert_eq!(app.scalar("select count(*) from driver_pings").await, 7);
    assert_eq!(
        app.scalar("select count(*) from events where type = 'delivery.position'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_customer_follows_the_delivery_live() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (d1, d2) = (app.token(Role::Driver).await, second_driver(&app).await);
    shift(&app, &d1, s.riyadh).await;
    shift(&app, &d2, s.riyadh).await;
    let o = delivery_order(&app, &s, 24.62, 46.62).await;
    let mut follows = SseClient::open(&app, "/api/sse/orders", Some(&s.customer), None)
        .await
        .unwrap_or_else(|r| panic!("customer stream: {}", r.status()));
    let mut other = SseClient::open(
        &app,
        &format!("/api/sse/orders?branchId={}", s.riyadh),
        Some(&d2),
        None,
    )
    .await
    .unwrap_or_else(|r| panic!("driver stream: {}", r.status()));
    let mut own = SseClient::open(
        &app,
        &format!("/api/sse/orders?branchId={}", s.riyadh),
        Some(&d1),
        None,
    )
    .await
    .unwrap_or_else(|r| panic!("driver stream: {}", r.status()));

    act(
        &app,
        &s.manager,
        &o,
        "assign",
        json!({ "driverId": user_id(&d1) }),
    )
    .await
    .expect(200);
    let assigned = follows.next_of("delivery.assigned").await;
    assert_eq!(assigned["payload"]["orderId"], o.as_str());
    assert_eq!(assigned["payload"]["driver"]["name"], "Demo Driver");
    assert_eq!(assigned["payload"]["etaMinutes"], 35);
    // The driver learns of it live too.
    assert_eq!(
        own.next_of("delivery.assigned").await["payload"]["orderId"],
        o.as_str()
    );

    act(&app, &d1, &o, "accept", json!({})).await.expect(200);
    follows.next_of("delivery.accepted").await;
    make_ready(&app, &s, &o).await;
    act(&app, &d1, &o, "picked-up", json!({})).await.expect(200);
    assert_eq!(
        follows.next_of("order.out_for_delivery").await["payload"]["status"],
        "out_for_delivery"
    );
    follows.next_of("delivery.picked_up").await;

    // 2.2 km north of the door: about 6 minutes at city speed.
    ping(&app, &d1, 24.64, 46.62).await.expect(200);
    let pos = follows.next_of("delivery.position").await;
    assert_eq!(pos["payload"]["lat"], 24.64);
    assert_eq!(pos["payload"]["lng"], 46.62);
    assert_eq!(pos["payload"]["etaMinutes"], 6);
    let tracking = app
        .get(&format!("/api/orders/{o}/delivery"), &s.customer)
        .await
        .expect(200);
    assert_eq!(tracking["driverPosition"]["lat"], 24.64);
    assert_eq!(tracking["etaMinutes"], 6);

    let code = tracking["handoverCode"].as_str().unwrap().to_string();
    act(&app, &d1, &o, "delivered", json!({ "code": code }))
        .await
        .expect(200);
    assert_eq!(
        follows.next_of("delivery.delivered").await["payload"]["etaMinutes"],
        0
    );

    // The other driver's stream carried none of it.
    assert!(
        other.next(Duration::from_millis(500)).await.is_none(),
        "another driver's delivery is not theirs to see"
    );
}
