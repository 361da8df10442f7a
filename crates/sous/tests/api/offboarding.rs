//! Offboarding: a disabled member's sessions end at once (API, refresh, event streams) and their
//! password and PIN are refused; role, branch, PIN and password changes follow the rules on who
//! may change whom, and every change is audited with who made it.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// The membership id of a demo account.
async fn membership(app: &TestApp, email: &str) -> Uuid {
    let owner = app.owner().await;
    let staff = app.get("/api/staff", &owner).await.expect(200);
    let m = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {staff}"));
    m["membershipId"].as_str().unwrap().parse().unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::helpers::Res {
    app.post(
        "/api/auth/login",
        None,
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn audited(app: &TestApp, action: &str, actor: Uuid) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = $1 and actor_id = $2")
        .bind(action)
        .bind(actor)
        .fetch_one(&mut app.db.owner_conn().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_disabled_member_is_signed_out_everywhere_at_once() {
    let app = spawn_app().await;
    let email = "cashier@demo.sous.test";
    let cashier = login(&app, email, PASSWORD).await.expect(200);
    let access = cashier["accessToken"].as_str().unwrap().to_string();
    let (device, secret) = app.device(app.demo.riyadh, "pos").await;
    let till = app.pin(device, &secret, "3333").await.expect(200);
    let till_access = till["accessToken"].as_str().unwrap().to_string();
    app.get("/api/me", &access).await.expect(200);
    // An open event stream of the member's.
    let stream = app
        .client
        .get(format!(
            "{}/api/sse/orders?branchId={}",
            app.base, app.demo.riyadh
        ))
        .bearer_auth(&till_access)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();

    let owner = app.owner().await;
    let owner_id = app.user_id("owner@demo.sous.test").await;
    let id = membership(&app, email).await;
    let disabled = app
        .post(&format!("/api/staff/{id}/disable"), Some(&owner), json!({}))
        .await
        .expect(200);
    assert!(!disabled["disabledAt"].is_null());
    assert_eq!(audited(&app, "staff.disabled", owner_id).await, 1);

    // At once: the access tokens (password and device), the refresh tokens, the password, the PIN.
    for token in [&access, &till_access] {
        let res = app.get("/api/me", token).await;
        assert_eq!((res.status.as_u16(), res.code()), (401, "session_revoked"));
    }
    for pair in [&cashier, &till] {
        let res = app
            .post(
                "/api/auth/refresh",
                None,
                json!({ "refreshToken": pair["refreshToken"] }),
            )
            .await;
        assert_eq!(res.status, 401, "{}", res.body);
    }
    assert_eq!(login(&app, email, PASSWORD).await.status, 401);
    assert_eq!(app.pin(device, &secret, "3333").await.status, 401);
    // The event stream ends (its standing is checked every few seconds).
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream of a disabled member ends");

    // Enabled again (the stream took seconds to end, so this is a later second than the
    // disabling): new sign-ins work, the old tokens stay dead.
    app.post(&format!("/api/staff/{id}/enable"), Some(&owner), json!({}))
        .await
        .expect(200);
    let again = login(&app, email, PASSWORD).await.expect(200);
    app.get("/api/me", again["accessToken"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(app.get("/api/me", &access).await.status, 401);
}

#[tokio::test]
async fn who_may_change_whom() {
    let app = spawn_app().await;
    let manager = app.manager().await; // scoped to Riyadh
    let manager_id = app.user_id("manager@demo.sous.test").await;
    let cashier = membership(&app, "cashier@demo.sous.test").await;
    let owner_m = membership(&app, "owner@demo.sous.test").await;
    let dubai_driver = membership(&app, identity::seed::DEMO_DUBAI_DRIVER.0).await;
    let riyadh = app.demo.riyadh;
    let dubai = app.demo.dubai;

    // A branch manager may not promote anyone to manager or owner, nor move staff elsewhere,
    // nor touch other branches' staff, managers or the owner.
    let put = |id: Uuid, body: Value| {
        let manager = manager.clone();
        let app = &app;
        async move {
            app.call(
                reqwest::Method::PUT,
                &format!("/api/staff/{id}"),
                Some(&manager),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        put(cashier, json!({ "role": "manager", "branchId": riyadh }))
            .await
            .status,
        403
    );
    assert_eq!(
        put(cashier, json!({ "role": "owner", "branchId": riyadh }))
            .await
            .status,
        422
    );
    assert_eq!(
        put(cashier, json!({ "role": "cashier", "branchId": dubai }))
            .await
            .status,
        403
    );
    assert_eq!(
        put(cashier, json!({ "role": "cashier", "branchId": null }))
            .await
            .status,
        403
    );
    assert_eq!(
        put(dubai_driver, json!({ "role": "driver", "branchId": dubai }))
            .await
            .status,
        403
    );
    for path in ["disable", "pin"] {
        for target in [dubai_driver, owner_m] {
            let res = app
                .post(
                    &format!("/api/staff/{target}/{path}"),
                    Some(&manager),
                    json!({}),
                )
                .await;
            assert_eq!(res.status, 403, "{path} {target}: {}", res.body);
        }
    }
    // Another brand's member is not found.
    let (other_owner, _, _) = app.other_tenant("elsewhere").await;
    let res = app
        .post(
            &format!("/api/staff/{cashier}/disable"),
            Some(&other_owner),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 404);

    // Within their branch: a role change, audited as the manager's, ends the member's sessions.
    let before = app.cashier().await;
    let changed = put(cashier, json!({ "role": "waiter", "branchId": riyadh }))
        .await
        .expect(200);
    assert_eq!(changed["role"], "waiter");
    assert_eq!(audited(&app, "staff.changed", manager_id).await, 1);
    assert_eq!(app.get("/api/me", &before).await.status, 401);

    // A PIN reset makes a new 6-digit PIN; the old one stops working.
    let (device, secret) = app.device(riyadh, "pos").await;
    let reset = app
        .post(
            &format!("/api/staff/{cashier}/pin"),
            Some(&manager),
            json!({}),
        )
        .await
        .expect(200);
    let pin = reset["initialPin"].as_str().unwrap().to_string();
    assert_eq!(pin.len(), 6);
    let user = app.user_id("cashier@demo.sous.test").await;
    app.pin_as(device, &secret, user, "3333").await.expect(401);
    app.pin_as(device, &secret, user, &pin).await.expect(200);
    assert_eq!(audited(&app, "staff.pin_reset", manager_id).await, 1);

    // A password reset: the old password stops working, the new one signs in.
    let res = app
        .post(
            &format!("/api/staff/{cashier}/password"),
            Some(&manager),
            json!({ "password": "a-new-long-password" }),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(
        login(&app, "cashier@demo.sous.test", PASSWORD).await.status,
        401
    );
    login(&app, "cashier@demo.sous.test", "a-new-long-password")
        .await
        .expect(200);
    assert_eq!(audited(&app, "staff.password_reset", manager_id).await, 1);
}
