//! A party moves to another table with its orders, joins another table's party, or is handed
//! over to another member of staff.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{claims, spawn_app};

#[tokio::test]
async fn a_party_moves_with_its_orders() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let session = app.seated(&cashier, "T3", 2).await;
    let order = app.order_at(&cashier, "T3").await;
    let t4 = app.table_id(riyadh, "T4").await;
    let moved = app
        .session_action(&cashier, &session, "move", json!({ "tableId": t4 }))
        .await
        .expect(200);
    assert_eq!(
        (&moved["tableId"], &moved["label"]),
        (&json!(t4), &json!("T4"))
    );
    assert_eq!(moved["id"], session["id"]);
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/orders/{id}"), &cashier)
            .await
            .expect(200)["table"],
        "T4"
    );
    assert_eq!(app.table_state(&cashier, riyadh, "T3").await, "free");
    let at_t4 = app.floor_table(&cashier, riyadh, "T4").await;
    assert_eq!(at_t4["state"], "ordered");
    assert_eq!(at_t4["session"]["id"], session["id"]);
    assert_eq!(at_t4["orders"][0]["id"], order["id"]);
    // The order's followers heard of the move too.
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where type = 'order.moved' and stream = 'order:{id}'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn parties_merge_into_one_table() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let at_t1 = app.seated(&cashier, "T1", 2).await;
    let at_t2 = app.seated(&cashier, "T2", 3).await;
    let first = app.order_at(&cashier, "T1").await;
    let second = app.order_at(&cashier, "T2").await;
    app.session_action(&cashier, &at_t2, "check-printed", json!({}))
        .await
        .expect(200);

    for (into, field) in [
        (at_t1["id"].clone(), "intoSessionId"),
        (json!(Uuid::now_v7()), "intoSessionId"),
    ] {
        let res = app
            .session_action(&cashier, &at_t1, "merge", json!({ "intoSessionId": into }))
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.body["errors"][field].is_array());
    }
    let joined = app
        .session_action(
            &cashier,
            &at_t1,
            "merge",
            json!({ "intoSessionId": at_t2["id"] }),
        )
        .await
        .expect(200);
    assert_eq!(
        (&joined["id"], &joined["guests"]),
        (&at_t2["id"], &json!(5))
    );
    assert_eq!(joined["label"], "T2");
    // The merged check is not the one printed.
    assert_eq!(joined["checkPrintedAt"], Value::Null);
    // Seated since the first of them sat down.
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&joined["openedAt"]), at(&at_t1["openedAt"]));

    let t2 = app.floor_table(&cashier, riyadh, "T2").await;
    let ids: Vec<&Value> = t2["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(ids, [&first["id"], &second["id"]]);
    assert_eq!(t2["session"]["guests"], 5);
    assert_eq!(app.table_state(&cashier, riyadh, "T1").await, "free");
    let fid = first["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/orders/{fid}"), &cashier)
            .await
            .expect(200)["table"],
        "T2"
    );
    // The party that joined has left its own table.
    let res = app
        .session_action(&cashier, &at_t1, "check-printed", json!({}))
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (409, "session_closed"));
    let res = app
        .session_action(
            &cashier,
            &at_t2,
            "merge",
            json!({ "intoSessionId": at_t1["id"] }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
}

#[tokio::test]
async fn another_member_of_staff_takes_the_table_over() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let session = app.seated(&cashier, "F1", 4).await;
    let waiter = app.user_id(&identity::seed::demo_email(Role::Waiter)).await;
    let taken = app
        .session_action(
            &cashier,
            &session,
            "transfer",
            json!({ "serverId": waiter }),
        )
        .await
        .expect(200);
    assert_eq!(
        (&taken["serverId"], &taken["serverName"]),
        (&json!(waiter), &json!("Demo Waiter"))
    );
    let f1 = app.floor_table(&cashier, app.demo.riyadh, "F1").await;
    assert_eq!(f1["session"]["serverName"], "Demo Waiter");

    // Only front-of-house staff of the branch serve a table.
    let kitchen = app
        .user_id(&identity::seed::demo_email(Role::Kitchen))
        .await;
    let dubai_driver = app.user_id(identity::seed::DEMO_DUBAI_DRIVER.0).await;
    let (other_owner, _, _) = app.other_tenant("floor-c").await;
    let stranger: Uuid = claims(&other_owner)["sub"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for server in [kitchen, dubai_driver, stranger, Uuid::now_v7()] {
        let res = app
            .session_action(
                &cashier,
                &session,
                "transfer",
                json!({ "serverId": server }),
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.body["errors"]["serverId"].is_array());
    }
    // Seating for someone else is checked the same way.
    let t1 = app.table_id(app.demo.riyadh, "T1").await;
    let res = app
        .post(
            &format!("/api/dining-tables/{t1}/seat"),
            Some(&cashier),
            json!({ "guests": 2, "serverId": kitchen }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let seated = app
        .post(
            &format!("/api/dining-tables/{t1}/seat"),
            Some(&cashier),
            json!({ "guests": 2, "serverId": waiter }),
        )
        .await
        .expect(201);
    assert_eq!(seated["serverName"], "Demo Waiter");
}
