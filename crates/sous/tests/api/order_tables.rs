//! Open orders at dining tables: a waiter sees each table's orders and what is due, moves a
//! party's order to another table, and sees only the tables of their own branch.

use platform::auth::Role;
use serde_json::json;

use crate::helpers::{key, line, menu, place, spawn_app};

#[tokio::test]
async fn waiters_see_open_tables_and_move_a_party() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let waiter = app.token(Role::Waiter).await;
    let m = menu(&app, riyadh).await;
    let at = |table: &str| {
        json!({ "branchId": riyadh, "type": "dine_in", "table": table,
                                  "lines": [line(&m, "Karak Tea", 1)] })
    };
    let first = place(&app, &waiter, &key(), &at("T1")).await.expect(201);
    place(&app, &waiter, &key(), &at("T1")).await.expect(201);
    place(&app, &waiter, &key(), &at("T7")).await.expect(201);
    place(
        &app,
        &waiter,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway",
        "lines": [line(&m, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);

    let tables = app
        .get(&format!("/api/branches/{riyadh}/tables"), &waiter)
        .await
        .expect(200);
    let t1 = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "T1")
        .unwrap();
    assert_eq!(t1["orders"], 2);
    assert_eq!(t1["due"], first["total"].as_i64().unwrap() * 2);
    assert_eq!(
        tables.as_array().unwrap().len(),
        2,
        "takeaways sit at no table"
    );

    let id = first["id"].as_str().unwrap();
    let moved = app
        .post(
            &format!("/api/orders/{id}/table"),
            Some(&waiter),
            json!({ "table": "T9" }),
        )
        .await
        .expect(200);
    assert_eq!(moved["table"], "T9");
    let tables = app
        .get(&format!("/api/branches/{riyadh}/tables"), &waiter)
        .await
        .expect(200);
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["T1", "T7", "T9"]);
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from events where stream = 'order:{id}' and type = 'order.moved'"
        ))
        .await,
        1
    );
    let res = app
        .get(&format!("/api/branches/{}/tables", app.demo.dubai), &waiter)
        .await;
    assert_eq!(res.status, 403);
}
