//! What the extractors and the router refuse is answered as problem+json with the right status,
//! never as axum's plain text (`TestApp::call` checks the content type of every error).

use reqwest::Method;

use crate::helpers::{branch_body, spawn_app};

#[tokio::test]
async fn bodies_of_the_wrong_type_or_syntax_are_problems() {
    let app = spawn_app().await;
    let owner = app.token(platform::auth::Role::Owner).await;
    let body = branch_body("Plain").to_string();
    let plain = app
        .raw(
            Method::POST,
            "/api/branches",
            Some(&owner),
            Some("text/plain"),
            body.clone(),
        )
        .await;
    assert_eq!(plain.status, 415);
    let none = app
        .raw(Method::POST, "/api/branches", Some(&owner), None, body)
        .await;
    assert_eq!(none.status, 415);
    let broken = app
        .raw(
            Method::POST,
            "/api/branches",
            Some(&owner),
            Some("application/json"),
            "{\"name\":",
        )
        .await;
    assert_eq!(
        (broken.status.as_u16(), broken.code()),
        (400, "malformed_json")
    );
    // `application/*+json` is JSON.
    let vendor = app
        .raw(
            Method::POST,
            "/api/branches",
            Some(&owner),
            Some("application/vnd.sous+json; charset=utf-8"),
            branch_body("Vendor").to_string(),
        )
        .await;
    assert_eq!(vendor.status, 201);
}

#[tokio::test]
async fn a_form_of_the_wrong_type_or_shape_is_a_problem() {
    let app = spawn_app().await;
    let pay = "/api/payments/simulator/pay";
    let json = app
        .raw(
            Method::POST,
            pay,
            None,
            Some("application/json"),
            r#"{"sessionId":"x"}"#,
        )
        .await;
    assert_eq!(json.status, 415);
    let form = Some("application/x-www-form-urlencoded");
    let missing = app.raw(Method::POST, pay, None, form, "sessionId=x").await;
    assert_eq!(missing.status, 422);
    assert!(
        missing.body["errors"]["body"]
            .to_string()
            .contains("outcome"),
        "{}",
        missing.body
    );
}

#[tokio::test]
async fn unknown_routes_methods_and_path_segments_are_problems() {
    let app = spawn_app().await;
    let owner = app.token(platform::auth::Role::Owner).await;
    let riyadh = app.demo.riyadh;
    let unknown = app.get("/api/no-such-thing", &owner).await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (404, "not_found")
    );
    let extra = app
        .get(&format!("/api/branches/{riyadh}/extra/segment"), &owner)
        .await;
    assert_eq!(extra.status, 404);
    let missing = app.get("/api/branches//devices", &owner).await;
    assert!(
        missing.status == 404 || missing.status == 400,
        "{}",
        missing.status
    );
    let not_an_id = app.get("/api/branches/not-an-id", &owner).await;
    assert_eq!(
        (not_an_id.status.as_u16(), not_an_id.code()),
        (400, "invalid_path")
    );
    let method = app.call(Method::DELETE, "/api/health", None, None).await;
    assert_eq!(method.status, 405);
    assert_eq!(method.body["title"], "Method Not Allowed");
    let query = app
        .get(
            &format!("/api/branches/{riyadh}/menu/search?q=x&limit=many"),
            &owner,
        )
        .await;
    assert_eq!(
        (query.status.as_u16(), query.code()),
        (400, "invalid_query")
    );
}
