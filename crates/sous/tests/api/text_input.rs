//! Text with a control character PostgreSQL or a receipt printer cannot hold is refused where
//! the request is read, in every kind of input, with a 422 naming the field; tabs and line
//! breaks are text like any other.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, branch_body, spawn_app};

const CONTROL: &str = "control characters";

#[track_caller]
fn refused(res: crate::helpers::Res, field: &str) {
    let body = res.expect(422);
    let messages = &body["errors"][field];
    assert!(
        messages.to_string().contains(CONTROL),
        "{field} is named: {body}"
    );
}

async fn branches(app: &TestApp, owner: &str) -> usize {
    app.get("/api/branches", owner)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_nul_in_a_json_body_is_a_422_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.token(platform::auth::Role::Owner).await;
    let before = branches(&app, &owner).await;
    let mut body = branch_body("a\u{0}b");
    refused(
        app.post("/api/branches", Some(&owner), body.clone()).await,
        "name",
    );
    // Deep in the document, and in an object key (named by the object holding it).
    body["name"] = json!("Fine");
    body["openingHours"] = json!({ "mon": [["09:00", "1\u{1b}7:00"]] });
    refused(
        app.post("/api/branches", Some(&owner), body.clone()).await,
        "openingHours.mon[0][1]",
    );
    body["openingHours"] = json!({ "mo\u{0}n": [["09:00", "17:00"]] });
    refused(
        app.post("/api/branches", Some(&owner), body.clone()).await,
        "openingHours",
    );
    // C1 and DEL too, not only C0.
    body["openingHours"] = json!({});
    body["name"] = json!("x\u{9b}y");
    refused(
        app.post("/api/branches", Some(&owner), body.clone()).await,
        "name",
    );
    body["name"] = json!("x\u{7f}");
    refused(app.post("/api/branches", Some(&owner), body).await, "name");
    assert_eq!(branches(&app, &owner).await, before);
}

#[tokio::test]
async fn tabs_and_line_breaks_pass() {
    let app = spawn_app().await;
    let owner = app.token(platform::auth::Role::Owner).await;
    let name = "North\tHall\r\nsecond line";
    let created = app
        .post("/api/branches", Some(&owner), branch_body(name))
        .await
        .expect(201);
    assert_eq!(created["name"], name);
    // Escaped non-control characters take the careful path and still pass.
    let escaped = r#"{"name":"Caf\u00e9 \u0634","timeZone":"Asia/Riyadh","openingHours":{}}"#;
    let res = app
        .raw(
            Method::POST,
            "/api/branches",
            Some(&owner),
            Some("application/json"),
            escaped,
        )
        .await
        .expect(201);
    assert_eq!(res["name"], "Café ش");
}

#[tokio::test]
async fn a_nul_in_a_signed_body_a_query_a_path_or_a_form_is_a_422_naming_it() {
    let app = spawn_app().await;
    // A signed device request (the body is read as bytes, then parsed).
    let (device, secret) = app.device(app.demo.riyadh, "pos").await;
    let user = app.demo_pin_user("3333").await;
    refused(app.pin_as(device, &secret, user, "33\u{0}33").await, "pin");
    // A query parameter, percent-encoded (a URI cannot carry it raw).
    let search = format!(
        "/api/branches/{}/menu/search?q=sh%00awarma",
        app.demo.riyadh
    );
    refused(app.call(Method::GET, &search, None, None).await, "q");
    let search = format!(
        "/api/branches/{}/menu/search?q=shawarma&l%1Bang=en",
        app.demo.riyadh
    );
    refused(app.call(Method::GET, &search, None, None).await, "query");
    // A path parameter.
    refused(
        app.call(Method::GET, "/api/tables/qr%00token", None, None)
            .await,
        "token",
    );
    // A form field.
    let form = app
        .raw(
            Method::POST,
            "/api/payments/simulator/pay",
            None,
            Some("application/x-www-form-urlencoded"),
            "sessionId=a%00b&outcome=approve",
        )
        .await;
    refused(form, "sessionId");
}

#[tokio::test]
async fn a_raw_control_character_is_not_json() {
    let app = spawn_app().await;
    let owner = app.token(platform::auth::Role::Owner).await;
    let raw = "{\"name\":\"a\u{1}b\",\"timeZone\":\"Asia/Riyadh\",\"openingHours\":{}}";
    let res = app
        .raw(
            Method::POST,
            "/api/branches",
            Some(&owner),
            Some("application/json"),
            raw,
        )
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "malformed_json"));
    let _: &Value = &res.body;
}

#[tokio::test]
async fn a_nul_in_a_csv_cell_is_a_422_naming_row_and_column() {
    let app = spawn_app().await;
    let owner = app.token(platform::auth::Role::Owner).await;
    let csv = app
        .raw(
            Method::GET,
            "/api/catalog/items.csv",
            Some(&owner),
            None,
            "",
        )
        .await;
    assert_eq!(csv.status, 200);
    let csv = csv.body.as_str().unwrap().to_string();
    let header = csv.lines().next().unwrap();
    let category = csv.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    let file = format!("{header}\n,{category},NUL-1,Tea\u{0}Pot,,,,900,5,,,bar,120,true\n");
    let res = app
        .raw(
            Method::POST,
            "/api/catalog/items.csv",
            Some(&owner),
            Some("text/csv"),
            file,
        )
        .await;
    refused(res, "row 2.name");
}
