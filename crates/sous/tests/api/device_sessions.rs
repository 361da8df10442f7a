//! Device-bound sessions and refresh races: a kitchen screen carries kitchen rights whoever
//! signs in, its sessions lapse sooner and end with the device, and two tabs refreshing the
//! same token at once both stay signed in.

use serde_json::json;

use crate::helpers::{claims, spawn_app};

#[tokio::test]
async fn a_kitchen_screen_session_is_kitchen_only_short_lived_and_ends_with_the_device() {
    let app = spawn_app().await;
    let (device, secret) = app.device(app.demo.riyadh, "kds").await;
    // The manager's PIN on the kitchen screen: kitchen rights, bound to the device.
    let pair = app.pin(device, &secret, "2222").await.expect(200);
    let access = pair["accessToken"].as_str().unwrap().to_string();
    let c = claims(&access);
    assert_eq!(c["role"], "kitchen");
    assert_eq!(c["did"], device.to_string());
    app.get("/api/me", &access).await.expect(200);
    app.get("/api/staff", &access).await.expect(403);
    // It refreshes, still as kitchen, and its refresh token lapses within 12 hours.
    let refreshed = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": pair["refreshToken"] }),
        )
        .await
        .expect(200);
    assert_eq!(
        claims(refreshed["accessToken"].as_str().unwrap())["role"],
        "kitchen"
    );
    let hours: f64 = sqlx::query_scalar(
        "select extract(epoch from max(expires_at) - now())::float8 / 3600 from refresh_tokens \
         where device_id = $1",
    )
    .bind(device)
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    assert!(hours <= 12.0, "device sessions lapse in 12 h, got {hours}");
    // A password session keeps the long lifetime.
    app.login_as("cashier@demo.sous.test").await;
    let days: f64 = sqlx::query_scalar(
        "select extract(epoch from max(expires_at) - now())::float8 / 86400 from refresh_tokens \
         where device_id is null and kind = 'staff'",
    )
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    assert!(days > 29.0);

    // Revoking the device ends its sessions on the next request, not only at refresh.
    let owner = app.owner().await;
    app.post(
        &format!("/api/devices/{device}/revoke"),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    let res = app
        .get("/api/me", refreshed["accessToken"].as_str().unwrap())
        .await;
    assert_eq!((res.status.as_u16(), res.code()), (401, "session_revoked"));
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in() {
    let app = spawn_app().await;
    let pair = app.login_as("waiter@demo.sous.test").await;
    let body = json!({ "refreshToken": pair["refreshToken"] });
    let (a, b) = tokio::join!(
        app.post("/api/auth/refresh", None, body.clone()),
        app.post("/api/auth/refresh", None, body.clone()),
    );
    let (a, b) = (a.expect(200), b.expect(200));
    assert_eq!(a["refreshToken"], b["refreshToken"], "the same new pair");
    app.get("/api/me", b["accessToken"].as_str().unwrap())
        .await
        .expect(200);
    // The shared successor works once; after it was used, the old token is a reuse.
    app.post(
        "/api/auth/refresh",
        None,
        json!({ "refreshToken": a["refreshToken"] }),
    )
    .await
    .expect(200);
    let reused = app.post("/api/auth/refresh", None, body).await;
    assert_eq!(
        (reused.status.as_u16(), reused.code()),
        (401, "refresh_token_reused")
    );
}

#[tokio::test]
async fn each_device_of_a_branch_has_its_own_number_never_reused() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let (first, _) = app.device(riyadh, "pos").await;
    app.device(riyadh, "kds").await;
    // Another branch counts on its own.
    app.device(dubai, "pos").await;
    app.post(
        &format!("/api/devices/{first}/revoke"),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    app.device(riyadh, "pos").await;
    let numbers = |v: serde_json::Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|d| d["number"].as_i64().unwrap())
            .collect()
    };
    let at_riyadh = numbers(
        app.get(&format!("/api/branches/{riyadh}/devices"), &owner)
            .await
            .expect(200),
    );
    assert_eq!(at_riyadh, [1, 2, 3], "a revoked till keeps its number");
    let at_dubai = numbers(
        app.get(&format!("/api/branches/{dubai}/devices"), &owner)
            .await
            .expect(200),
    );
    assert_eq!(at_dubai, [1]);
}
