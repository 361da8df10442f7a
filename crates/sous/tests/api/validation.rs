//! Bad input gets a clear 4xx problem+json and writes nothing.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn malformed_and_invalid_bodies_are_4xx_problems() {
    let app = spawn_app().await;
    let owner = app.owner().await;

    let res = app
        .client
        .post(format!("{}/api/branches", app.base))
        .bearer_auth(&owner)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "malformed_json");

    let res = app
        .client
        .post(format!("{}/api/branches", app.base))
        .bearer_auth(&owner)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415, "missing content type");

    let bad = app
        .post(
            "/api/branches",
            Some(&owner),
            json!({ "name": "", "timeZone": "Mars/Olympus", "lat": 123.0, "openingHours": { "funday": [] } }),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.code(), "validation_failed");
    let fields = bad.body["errors"].as_object().unwrap();
    for f in ["name", "timeZone", "lat", "openingHours"] {
        assert!(
            fields.contains_key(f),
            "{f} should be reported: {}",
            bad.body
        );
    }

    let unknown = app
        .post(
            "/api/branches",
            Some(&owner),
            json!({ "name": "x", "timeZone": "UTC", "colour": "red" }),
        )
        .await;
    assert_eq!(
        unknown.status, 422,
        "unknown fields are refused: {}",
        unknown.body
    );

    let wrong_type = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": 5, "password": [] }),
        )
        .await;
    assert_eq!(wrong_type.status, 422);

    let big = "x".repeat(2 * 1024 * 1024);
    let res = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": big, "password": "p" }),
        )
        .await;
    assert_eq!(res.status, 413);

    let mut owner_conn = app.db.owner_conn().await;
    let branches: i64 = sqlx::query_scalar("select count(*) from branches")
        .fetch_one(&mut owner_conn)
        .await
        .unwrap();
    assert_eq!(branches, 2, "no refused request created a branch");
}

#[tokio::test]
async fn bad_paths_unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let res = app.get("/api/branches/not-a-uuid", &owner).await;
    assert_eq!((res.status.as_u16(), res.code()), (400, "invalid_path"));
    let res = app
        .get(&format!("/api/branches/{}", uuid::Uuid::now_v7()), &owner)
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (404, "not_found"));
    let res = app.get("/api/no-such-thing", &owner).await;
    assert_eq!(res.status, 404);
    let res = app
        .call(Method::DELETE, "/api/me", Some(&owner), None)
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (405, "method_not_allowed")
    );
}

#[tokio::test]
async fn health_openapi_and_docs() {
    let app = spawn_app().await;
    let res = app.call(Method::GET, "/api/health", None, None).await;
    let body = res.expect(200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");

    let spec = app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .expect(200);
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/api/health",
        "/api/tenants",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/pin",
        "/api/me",
        "/api/branches",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());

    let docs = app
        .client
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/openapi.json"));
}

#[tokio::test]
async fn health_reports_an_unreachable_database() {
    let app = spawn_app().await;
    app.call(Method::GET, "/api/health", None, None)
        .await
        .expect(200);
    app.state.db.pool.close().await;
    // The probe result is kept for a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = app.call(Method::GET, "/api/health", None, None).await;
    assert_eq!(res.status, 503);
    assert_eq!(res.body["status"], "degraded");
    assert_eq!(res.body["database"], "unreachable");
}
