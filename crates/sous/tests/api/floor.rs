//! The POS floor: tables laid out on a branch's plan, a party seated at a table and what happens
//! to it (transfer, move, merge, check, close), the state each table shows, who may do it, and
//! the events every POS of the branch follows. The plan's tests are in `floor/plan.rs`, moving,
//! merging and handing over a party in `floor/parties.rs`.

mod parties;
mod plan;

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SseClient, placed_table, spawn_app};

#[tokio::test]
async fn a_table_goes_through_every_state_of_a_meal() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    assert_eq!(app.table_state(&cashier, riyadh, "T2").await, "free");

    let session = app.seated(&cashier, "T2", 3).await;
    assert_eq!(session["label"], "T2");
    assert_eq!(session["serverName"], "Demo Cashier");
    assert_eq!(session["deviceId"], Value::Null);
    let t2 = app.floor_table(&cashier, riyadh, "T2").await;
    assert_eq!(t2["state"], "seated");
    assert_eq!(t2["session"]["id"], session["id"]);
    assert_eq!(t2["session"]["guests"], 3);
    assert_eq!(t2["session"]["serverName"], "Demo Cashier");
    assert_eq!(t2["session"]["minutesSeated"], 0);
    assert_eq!((&t2["orders"], &t2["total"]), (&json!([]), &json!(0)));

    // The order's table is written by hand: its case does not matter.
    let order = app.order_at(&cashier, "t2").await;
    let t2 = app.floor_table(&cashier, riyadh, "T2").await;
    assert_eq!(t2["state"], "ordered");
    assert_eq!(t2["orders"][0]["id"], order["id"]);
    assert_eq!(t2["orders"][0]["number"], order["number"]);
    assert_eq!(t2["orders"][0]["status"], "placed");
    assert_eq!(
        (&t2["total"], &t2["due"]),
        (&order["total"], &order["total"])
    );

    app.advance(&cashier, &order, "ready").await;
    assert_eq!(app.table_state(&cashier, riyadh, "T2").await, "food_ready");

    let printed = app
        .session_action(&cashier, &session, "check-printed", json!({}))
        .await
        .expect(200);
    assert!(printed["checkPrintedAt"].is_string());
    assert_eq!(
        app.table_state(&cashier, riyadh, "T2").await,
        "check_printed"
    );

    // Not before it is paid.
    let res = app
        .session_action(&cashier, &session, "close", json!({}))
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.code(), "table_has_open_orders");

    app.pay_cash(&cashier, &order).await;
    let t2 = app.floor_table(&cashier, riyadh, "T2").await;
    assert_eq!((&t2["state"], &t2["due"]), (&json!("paid"), &json!(0)));

    let closed = app
        .session_action(&cashier, &session, "close", json!({}))
        .await
        .expect(200);
    assert!(closed["closedAt"].is_string());
    let t2 = app.floor_table(&cashier, riyadh, "T2").await;
    assert_eq!(
        (&t2["state"], &t2["session"]),
        (&json!("free"), &Value::Null)
    );
    assert_eq!(t2["orders"], json!([]));

    // The next party does not inherit the last one's paid order, which nobody closed.
    app.seated(&cashier, "T2", 2).await;
    let t2 = app.floor_table(&cashier, riyadh, "T2").await;
    assert_eq!(
        (&t2["state"], &t2["orders"]),
        (&json!("seated"), &json!([]))
    );
    let res = app
        .session_action(&cashier, &session, "close", json!({}))
        .await;
    assert_eq!(res.code(), "session_closed");
}

#[tokio::test]
async fn a_check_printed_before_the_last_order_is_out_of_date() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let waiter = app.token(Role::Waiter).await;
    let session = app.seated(&waiter, "T3", 2).await;
    app.order_at(&waiter, "T3").await;
    app.session_action(&waiter, &session, "check-printed", json!({}))
        .await
        .expect(200);
    assert_eq!(
        app.table_state(&waiter, riyadh, "T3").await,
        "check_printed"
    );
    // Dessert after the check: the table is ordering again until the check is printed anew.
    app.order_at(&waiter, "T3").await;
    assert_eq!(app.table_state(&waiter, riyadh, "T3").await, "ordered");
    app.session_action(&waiter, &session, "check-printed", json!({}))
        .await
        .expect(200);
    assert_eq!(
        app.table_state(&waiter, riyadh, "T3").await,
        "check_printed"
    );
}

#[tokio::test]
async fn an_occupied_table_is_a_conflict() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let t1 = app.table_id(riyadh, "T1").await;
    // Two tills seat the same table at once: one party sits down, the other is told.
    let waiter = app.token(Role::Waiter).await;
    let (a, b) = tokio::join!(app.seat(&cashier, t1, 2), app.seat(&waiter, t1, 3));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} {}", a.body, b.body);
    let first = if a.status == 201 { a.body } else { b.body };
    let res = app.seat(&cashier, t1, 4).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.code(), "table_occupied");

    // A table with orders and no party is taken too: nobody is moved onto it.
    let at_t3 = app.seated(&cashier, "T3", 2).await;
    app.order_at(&cashier, "T4").await;
    for target in ["T1", "T4"] {
        let res = app
            .session_action(
                &cashier,
                &at_t3,
                "move",
                json!({ "tableId": app.table_id(riyadh, target).await }),
            )
            .await;
        assert_eq!(res.status, 409, "{target}: {}", res.body);
        assert_eq!(res.code(), "table_occupied");
    }
    // Not a table to move to: its own, another branch's, none.
    for target in [
        app.table_id(riyadh, "T3").await,
        app.table_id(app.demo.dubai, "M1").await,
        Uuid::now_v7(),
    ] {
        let res = app
            .session_action(&cashier, &at_t3, "move", json!({ "tableId": target }))
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.body["errors"]["tableId"].is_array());
    }
    // Out of service.
    let owner = app.owner().await;
    let p1 = app.table_id(riyadh, "P1").await;
    app.put(
        &format!("/api/dining-tables/{p1}"),
        &owner,
        json!({ "label": "P1", "seats": 4, "active": false }),
    )
    .await
    .expect(200);
    assert_eq!(
        app.seat(&cashier, p1, 2).await.code(),
        "table_out_of_service"
    );
    // Bad input.
    for body in [
        json!({ "guests": 0 }),
        json!({ "guests": 101 }),
        json!({ "guests": 2, "x": 1 }),
    ] {
        let res = app
            .post(
                &format!("/api/dining-tables/{t1}/seat"),
                Some(&cashier),
                body,
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
    }
    assert_eq!(
        app.scalar("select count(*) from table_sessions where closed_at is null")
            .await,
        2
    );
    assert_eq!(
        app.floor_table(&cashier, riyadh, "T1").await["session"]["id"],
        first["id"]
    );
}

#[tokio::test]
async fn the_floor_is_front_of_house_only() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let session = app.seated(&cashier, "T1", 2).await;
    let t2 = app.table_id(riyadh, "T2").await;
    let guest = app.guest_token(riyadh).await;
    let customer = app.token(Role::Customer).await;
    for token in [
        app.token(Role::Kitchen).await,
        app.token(Role::Driver).await,
        guest,
        customer,
    ] {
        let res = app
            .get(&format!("/api/branches/{riyadh}/floor"), &token)
            .await;
        assert_eq!(res.status, 403, "{}", res.body);
        assert_eq!(app.seat(&token, t2, 2).await.status, 403);
        for action in ["check-printed", "close"] {
            let res = app
                .session_action(&token, &session, action, json!({}))
                .await;
            assert_eq!(res.status, 403, "{action}");
        }
    }
    for role in [Role::Owner, Role::Manager, Role::Cashier, Role::Waiter] {
        let token = app.token(role).await;
        assert_eq!(app.floor(&token, riyadh).await.len(), 8, "{role:?}");
    }
    assert_eq!(
        app.scalar("select count(*) from table_sessions").await,
        1,
        "nothing was seated by those refused"
    );
}

#[tokio::test]
async fn another_brand_neither_sees_nor_seats_our_tables() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let session = app.seated(&cashier, "T1", 2).await;
    let (other, _, other_branch) = app.other_tenant("floor-d").await;

    let res = app
        .get(&format!("/api/branches/{riyadh}/floor"), &other)
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    let t2 = app.table_id(riyadh, "T2").await;
    assert_eq!(app.seat(&other, t2, 2).await.status, 404);
    for (action, body) in [
        ("check-printed", json!({})),
        ("close", json!({})),
        ("move", json!({ "tableId": t2 })),
        ("merge", json!({ "intoSessionId": Uuid::now_v7() })),
    ] {
        let res = app.session_action(&other, &session, action, body).await;
        assert_eq!(res.status, 404, "{action}: {}", res.body);
    }
    let res = app
        .put(
            &format!("/api/branches/{other_branch}/floor-plan"),
            &other,
            json!({ "tables": [placed_table(t2, 0, 0)] }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    // Their floor is theirs alone, and ours is as it was.
    assert_eq!(app.floor(&other, other_branch).await, Vec::<Value>::new());
    let t1 = app.floor_table(&cashier, riyadh, "T1").await;
    assert_eq!(
        (&t1["state"], &t1["session"]["id"]),
        (&json!("seated"), &session["id"])
    );
    assert_eq!(app.table_state(&cashier, riyadh, "T2").await, "free");
}

#[tokio::test]
async fn every_pos_of_the_branch_hears_of_a_session_change() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    // A till: the waiter signed in by PIN on a registered POS.
    let till = app.till(riyadh, "4444").await;
    let cashier = app.cashier().await;
    let mut stream = SseClient::branch_orders(&app, riyadh, &cashier).await;
    let dubai_owner = app.owner().await;
    let mut elsewhere = SseClient::branch_orders(&app, app.demo.dubai, &dubai_owner).await;

    let t1 = app.table_id(riyadh, "T1").await;
    let session = app.seat(&till.token, t1, 2).await.expect(201);
    assert_eq!(session["deviceId"], json!(till.device));
    assert_eq!(
        app.floor_table(&cashier, riyadh, "T1").await["session"]["deviceId"],
        json!(till.device)
    );
    let sid = session["id"].clone();
    let seated = stream
        .next_where("table.seated", |p| p["sessionId"] == sid)
        .await;
    assert_eq!(seated["stream"], format!("table:{t1}"));
    assert_eq!(seated["branchId"], json!(riyadh));
    assert_eq!(seated["payload"]["tableId"], json!(t1));
    assert_eq!(seated["payload"]["label"], "T1");

    let waiter = app.user_id(&identity::seed::demo_email(Role::Waiter)).await;
    let t4 = app.table_id(riyadh, "T4").await;
    let changes = [
        (
            "transfer",
            json!({ "serverId": waiter }),
            "table.transferred",
        ),
        ("move", json!({ "tableId": t4 }), "table.moved"),
        ("check-printed", json!({}), "table.check_printed"),
        ("close", json!({}), "table.closed"),
    ];
    for (action, body, kind) in changes {
        app.session_action(&till.token, &session, action, body)
            .await
            .expect(200);
        let e = stream.next_where(kind, |p| p["sessionId"] == sid).await;
        assert!(e["payload"]["tableId"].is_string() && e["payload"]["label"].is_string());
    }
    let a = app.seated(&cashier, "T2", 1).await;
    let b = app.seated(&cashier, "T3", 1).await;
    app.session_action(&cashier, &a, "merge", json!({ "intoSessionId": b["id"] }))
        .await
        .expect(200);
    let merged = stream
        .next_where("table.merged", |p| p["sessionId"] == a["id"])
        .await;
    assert_eq!(merged["payload"]["intoSessionId"], b["id"]);
    assert_eq!(merged["payload"]["label"], "T2");

    // Another branch's floor stays quiet.
    while let Some((_, e)) = elsewhere.next(std::time::Duration::from_millis(700)).await {
        assert!(!e["type"].as_str().unwrap().starts_with("table."), "{e}");
    }
}
