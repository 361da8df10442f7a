//! The floor plan: the layout editor places tables all or none, and a table keeps its place
//! unless it is given one.

use platform::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, id_of, int, placed_table, spawn_app};

async fn layout(app: &TestApp, branch: Uuid) -> Vec<Value> {
    sqlx::query_scalar(
        "select json_build_array(label, pos_x, pos_y, width, height, shape, rotation, seats, \
                                 floor_area) \
         from dining_tables where branch_id = $1 order by label",
    )
    .bind(branch)
    .fetch_all(&mut app.db.owner_conn().await)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_layout_editor_places_every_table_or_none() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let manager = app.manager().await;
    let plan = format!("/api/branches/{riyadh}/floor-plan");
    let (t1, t2) = (
        app.table_id(riyadh, "T1").await,
        app.table_id(riyadh, "T2").await,
    );

    // The demo is laid out already: no two tables of a branch share a place.
    let seeded = app.floor(&manager, riyadh).await;
    assert_eq!(seeded.len(), 8);
    let mut places: Vec<_> = seeded
        .iter()
        .map(|t| (int(&t["x"]), int(&t["y"])))
        .collect();
    places.sort();
    places.dedup();
    assert_eq!(places.len(), 8, "{seeded:?}");

    let saved = app
        .put(
            &plan,
            &manager,
            json!({ "tables": [placed_table(t1, 100, 200), placed_table(t2, 300, 200)] }),
        )
        .await
        .expect(200);
    let one = saved
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == json!(t1))
        .unwrap();
    assert_eq!(
        (&one["x"], &one["y"], &one["width"], &one["height"]),
        (&json!(100), &json!(200), &json!(120), &json!(90))
    );
    assert_eq!(
        (&one["shape"], &one["rotation"]),
        (&json!("round"), &json!(30))
    );
    assert_eq!(
        (&one["seats"], &one["floorArea"]),
        (&json!(5), &json!("Hall"))
    );
    let floor = app.floor_table(&manager, riyadh, "T2").await;
    assert_eq!(
        (&floor["x"], &floor["floorArea"]),
        (&json!(300), &json!("Hall"))
    );
    // Every POS of the branch hears of it, and the log says who moved what.
    let saves = "select count(*) from events where type = 'floor.laid_out'";
    assert_eq!(app.scalar(saves).await, 1);
    let audited = "select count(*) from audit_log where action = 'floor_plan.updated' \
                   and jsonb_array_length(after) = 2";
    assert_eq!(app.scalar(audited).await, 1);

    // One table that is not the branch's — another brand's, another branch's, an unknown id —
    // and nothing is placed, not even the tables that were fine.
    let (other_owner, _, other_branch) = app.other_tenant("floor-b").await;
    let theirs = id_of(
        &app.post(
            &format!("/api/branches/{other_branch}/dining-tables"),
            Some(&other_owner),
            json!({ "label": "X1", "seats": 2 }),
        )
        .await
        .expect(201),
    );
    let before = layout(&app, riyadh).await;
    let before_theirs = app
        .scalar(&format!(
            "select pos_x::bigint from dining_tables where id = '{theirs}'"
        ))
        .await;
    for foreign in [theirs, app.table_id(dubai, "M1").await, Uuid::now_v7()] {
        let res = app
            .put(
                &plan,
                &manager,
                json!({ "tables": [placed_table(t1, 500, 500), placed_table(foreign, 10, 10)] }),
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(
            res.body["errors"]["tables[1].id"].is_array(),
            "{}",
            res.body
        );
    }
    assert_eq!(layout(&app, riyadh).await, before);
    assert_eq!(
        app.scalar(&format!(
            "select pos_x::bigint from dining_tables where id = '{theirs}'"
        ))
        .await,
        before_theirs
    );

    // Bad entries are named, and change nothing either.
    let mut off = placed_table(t2, 950, 0);
    off["width"] = json!(100);
    for (body, field) in [
        (
            json!({ "tables": [placed_table(t1, 1, 1), placed_table(t1, 2, 2)] }),
            "tables[1].id",
        ),
        (
            json!({ "tables": [placed_table(t1, 1, 1), off] }),
            "tables[1].x",
        ),
        (json!({ "tables": [] }), "tables"),
        (
            json!({ "tables": [{ "id": t1, "x": 1, "y": 1, "width": 10, "height": 90,
                                 "shape": "rect", "rotation": 0, "seats": 2 }] }),
            "tables[0].width",
        ),
        (
            json!({ "tables": [{ "id": t1, "x": 1, "y": 1, "width": 90, "height": 90,
                                 "shape": "hexagon", "rotation": 0, "seats": 2 }] }),
            "",
        ),
    ] {
        let res = app.put(&plan, &manager, body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.body);
        if !field.is_empty() {
            assert!(
                res.body["errors"][field].is_array(),
                "{field}: {}",
                res.body
            );
        }
    }
    let many: Vec<Value> = (0..201).map(|_| placed_table(t1, 1, 1)).collect();
    let res = app.put(&plan, &manager, json!({ "tables": many })).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(layout(&app, riyadh).await, before);

    // Laying out is the owner's and the managers'.
    for role in [Role::Cashier, Role::Waiter, Role::Kitchen] {
        let token = app.token(role).await;
        let res = app
            .put(&plan, &token, json!({ "tables": [placed_table(t1, 0, 0)] }))
            .await;
        assert_eq!(res.status, 403, "{role:?}");
    }
    assert_eq!(layout(&app, riyadh).await, before);
    assert_eq!(app.scalar(saves).await, 1, "nothing refused was announced");
}

#[tokio::test]
async fn a_table_keeps_its_place_unless_it_is_given_one() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let tables = format!("/api/branches/{}/dining-tables", app.demo.riyadh);
    // A new table without a place takes the next cell of the grid, drawn as an 80 × 80 square:
    // the ninth table of the branch opens the grid's second row.
    let new = app
        .post(&tables, Some(&owner), json!({ "label": "N1", "seats": 2 }))
        .await
        .expect(201);
    assert_eq!((&new["width"], &new["height"]), (&json!(80), &json!(80)));
    assert_eq!(
        (&new["shape"], &new["rotation"]),
        (&json!("rect"), &json!(0))
    );
    assert_eq!((&new["x"], &new["y"]), (&json!(20), &json!(140)));
    let id = new["id"].as_str().unwrap();
    let path = format!("/api/dining-tables/{id}");
    let moved = app
        .put(
            &path,
            &owner,
            json!({ "label": "N1", "seats": 2, "x": 600, "y": 700, "width": 200,
                    "shape": "round", "rotation": 90 }),
        )
        .await
        .expect(200);
    assert_eq!(
        (&moved["x"], &moved["y"], &moved["width"]),
        (&json!(600), &json!(700), &json!(200))
    );
    // A change that says nothing of the place keeps it.
    let renamed = app
        .put(&path, &owner, json!({ "label": "N2", "seats": 3 }))
        .await
        .expect(200);
    assert_eq!(
        (&renamed["x"], &renamed["shape"]),
        (&json!(600), &json!("round"))
    );
    // Off the plan, or out of range: 422 on the field, and nothing changes.
    let res = app
        .put(
            &path,
            &owner,
            json!({ "label": "N2", "seats": 3, "x": 900 }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body["errors"]["x"].is_array(), "{}", res.body);
    let res = app
        .put(
            &path,
            &owner,
            json!({ "label": "N2", "seats": 3, "rotation": 360 }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let table = app
        .call(Method::GET, &tables, Some(&owner), None)
        .await
        .expect(200);
    let now = table
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap();
    assert_eq!((&now["x"], &now["rotation"]), (&json!(600), &json!(90)));
}
