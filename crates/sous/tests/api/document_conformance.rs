//! The server answers what the OpenAPI document says, in the places where the API fuzz
//! (`scripts/api-fuzz.sh`) found them apart: a request valid by the document is taken, one that
//! is not is refused with a 4xx the document lists.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, branch_body, category, openapi, operations, spawn_app};

/// The schema a `$ref` names, or the value itself.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => v,
    }
}

#[test]
fn every_request_text_states_the_control_character_rule() {
    let spec = openapi();
    let name = &resolve(&spec, &spec["components"]["schemas"]["BranchInput"])["properties"]["name"];
    assert_eq!(name["pattern"], platform::text::ALLOWED_PATTERN, "{name}");
    assert_eq!(name["maxLength"], 200);
    // A pattern of its own stays: it already leaves control characters out.
    let kind = &spec["components"]["schemas"]["RegisterDevice"]["properties"]["kind"];
    assert_eq!(kind["pattern"], "^(pos|kds)$");
    // Path and query text, and the keys of open objects.
    let mut unstated = vec![];
    for (method, path, op) in operations(&spec) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let schema = &p["schema"];
            if schema["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("null")))
            {
                unstated.push(format!("{method} {path} {}: nullable", p["name"]));
            }
            let fixed = ["pattern", "format", "enum"]
                .iter()
                .any(|k| schema.get(*k).is_some());
            if schema["type"] == "string" && !fixed {
                unstated.push(format!("{method} {path} {}", p["name"]));
            }
        }
    }
    assert!(unstated.is_empty(), "{unstated:#?}");
}

#[test]
fn limits_the_server_checks_are_in_the_document() {
    let spec = openapi();
    let schemas = &spec["components"]["schemas"];
    let branch = &schemas["BranchInput"]["properties"];
    let zones = branch["timeZone"]["enum"].as_array().expect("time zones");
    assert!(zones.contains(&json!("Asia/Riyadh")));
    assert_eq!(
        branch["openingHours"]["additionalProperties"],
        json!(false),
        "{}",
        branch["openingHours"]
    );
    assert_eq!(
        branch["openingHours"]["properties"]["mon"]["items"]["items"]["pattern"],
        platform::schema::HHMM_PATTERN
    );
    let item = &schemas["ItemInput"]["properties"];
    assert_eq!(item["price"]["maximum"], catalog::model::MAX_PRICE);
    assert_eq!(item["allergens"]["maxItems"], catalog::model::MAX_LABELS);
    assert_eq!(
        item["allergens"]["items"]["maxLength"],
        catalog::model::MAX_LABEL_CHARS
    );
    assert_eq!(item["image"]["pattern"], "^[0-9a-f]{64}$");
    let roles = schemas["AddStaff"]["properties"]["role"]["enum"]
        .as_array()
        .expect("staff roles");
    assert!(!roles.contains(&json!("owner")) && !roles.contains(&json!("customer")));
    let day = &schemas["DayPart"]["properties"]["days"];
    assert_eq!(day["items"]["minimum"], 1);
    assert_eq!(day["items"]["maximum"], 7);
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_an_integer() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let table = app
        .post(
            &format!("/api/branches/{}/dining-tables", app.demo.riyadh),
            Some(&owner),
            json!({ "label": "Fuzz 1", "seats": 4.0 }),
        )
        .await
        .expect(201);
    assert_eq!(table["seats"], 4);
    // A fraction is still not an integer.
    let res = app
        .post(
            &format!("/api/branches/{}/dining-tables", app.demo.riyadh),
            Some(&owner),
            json!({ "label": "Fuzz 2", "seats": 4.5 }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
}

#[tokio::test]
async fn an_unknown_category_in_the_path_is_not_found() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let path = format!(
        "/api/branches/{}/catalog/categories/{}",
        app.demo.riyadh,
        uuid::Uuid::now_v7()
    );
    let res = app
        .call(
            Method::PUT,
            &path,
            Some(&owner),
            Some(json!({ "hidden": true })),
        )
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    let known = category(&app, &owner, "Hot Drinks").await;
    let path = format!(
        "/api/branches/{}/catalog/categories/{known}",
        app.demo.riyadh
    );
    let res = app
        .call(
            Method::PUT,
            &path,
            Some(&owner),
            Some(json!({ "hidden": true })),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
}

async fn items(app: &TestApp, owner: &str) -> usize {
    let count: i64 = sqlx::query_scalar("select count(*) from items")
        .fetch_one(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    let _ = owner;
    count as usize
}

#[tokio::test]
async fn a_csv_without_its_header_row_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let before = items(&app, &owner).await;
    for body in ["{}", "", "Latte,900,,,true\n"] {
        let res = app
            .raw(
                Method::POST,
                "/api/catalog/items.csv",
                Some(&owner),
                Some("text/csv"),
                body,
            )
            .await;
        assert_eq!(res.status, 422, "{body:?}: {}", res.body);
        assert!(res.body["errors"]["row 1"].is_array(), "{}", res.body);
    }
    assert_eq!(items(&app, &owner).await, before);
}

#[tokio::test]
async fn refresh_and_logout_take_no_body_a_null_or_an_object() {
    let app = spawn_app().await;
    // Without a token there is no session: refresh is 401, logout has nothing to end.
    for body in [None, Some("null"), Some("{}")] {
        let ct = body.map(|_| "application/json");
        let res = app
            .raw(
                Method::POST,
                "/api/auth/refresh",
                None,
                ct,
                body.unwrap_or(""),
            )
            .await;
        assert_eq!(res.status, 401, "{body:?}: {}", res.body);
        let res = app
            .raw(
                Method::POST,
                "/api/auth/logout",
                None,
                ct,
                body.unwrap_or(""),
            )
            .await;
        assert_eq!(res.status, 204, "{body:?}: {}", res.body);
    }
    // In cookie mode too, a body that is not an object is refused, not taken for "no token".
    for body in ["[]", "\"token\"", "7"] {
        let res = app
            .client
            .post(format!("{}/api/auth/logout", app.base))
            .header("x-sous-session", "customer")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
    }
    // A body without a content type is still not JSON.
    let res = app
        .raw(Method::POST, "/api/auth/logout", None, None, "{}")
        .await;
    assert_eq!(res.status, 415, "{}", res.body);
}

#[tokio::test]
async fn joining_a_table_with_a_null_body_is_joining_without_a_name() {
    let app = spawn_app().await;
    let token: String = sqlx::query_scalar(
        "select qr_token from dining_tables where branch_id = $1 and archived_at is null limit 1",
    )
    .bind(app.demo.riyadh)
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    let res = app
        .raw(
            Method::POST,
            &format!("/api/tables/{token}/join"),
            None,
            Some("application/json"),
            "null",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn a_station_filter_is_a_station_code() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    for view in ["all-day", "tickets"] {
        let base = format!("/api/branches/{}/kitchen/{view}", app.demo.riyadh);
        let res = app.get(&format!("{base}?station=0.5"), &owner).await;
        assert_eq!(res.status, 422, "{view}: {}", res.body);
        assert!(res.body["errors"]["station"].is_array());
    }
    let res = app
        .get(
            &format!("/api/branches/{}/kitchen/all-day", app.demo.riyadh),
            &owner,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn opening_hours_are_two_digit_times() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let mut body = branch_body("Hours");
    body["openingHours"] = json!({ "mon": [["9:00", "17:00"]] });
    let res = app.post("/api/branches", Some(&owner), body.clone()).await;
    assert_eq!(res.status, 422, "{}", res.body);
    body["openingHours"] = json!({ "mon": [["09:00", "17:00"]] });
    app.post("/api/branches", Some(&owner), body)
        .await
        .expect(201);
}

#[tokio::test]
async fn closed_request_objects_are_closed_in_the_document_too() {
    let spec = openapi();
    for name in ["LineRequest", "PriceRequest", "DayPart"] {
        let schema = &spec["components"]["schemas"][name];
        assert_eq!(
            schema["additionalProperties"],
            json!(false),
            "{name}: {schema}"
        );
    }
    let line = &spec["components"]["schemas"]["LineRequest"]["properties"];
    assert!(line["options"].is_object() && line["productId"].is_object());

    let app = spawn_app().await;
    let owner = app.owner().await;
    let res = app
        .post(
            &format!("/api/branches/{}/menu/price", app.demo.riyadh),
            None,
            json!({ "productId": uuid::Uuid::now_v7(), "extra": 1 }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    // A day-part with a key of its own is refused, not stored with the menu.
    let res = app
        .post(
            "/api/catalog/menus",
            Some(&owner),
            json!({ "name": "Brunch", "schedule": [
                { "days": [6], "start": "10:00", "end": "13:00", "note": "x" } ] }),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
}
