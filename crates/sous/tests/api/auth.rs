//! Sign-in flows: passwords, tokens, refresh rotation, PIN on signed devices, customers, guests.

use platform::auth::{Claims, JwtKeys, PrincipalKind, Role};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{JWT_KEYS, claims, settings, sign, spawn_app, spawn_app_with};

#[tokio::test]
async fn login_me_and_wrong_credentials() {
    let app = spawn_app().await;
    let pair = app.login_as("owner@demo.sous.test").await;
    assert_eq!(pair["tokenType"], "Bearer");
    assert_eq!(pair["expiresIn"], 900);
    let access = pair["accessToken"].as_str().unwrap();
    let c = claims(access);
    assert_eq!(c["role"], "owner");
    assert!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap() <= 15 * 60);
    let me = app.get("/api/me", access).await.expect(200);
    assert_eq!(me["email"], "owner@demo.sous.test");
    assert_eq!(me["tenant"]["currency"], "SAR");
    assert_eq!(me["tenant"]["vatRateBp"], 1500);

    let wrong = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": "owner@demo.sous.test", "password": "nope-nope" }),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.code(), "invalid_credentials");
    let unknown = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": "ghost@demo.sous.test", "password": "nope-nope" }),
        )
        .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.code(),
        "invalid_credentials",
        "unknown emails look like wrong passwords"
    );

    let staff_scope = claims(
        app.login_as("manager@demo.sous.test").await["accessToken"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(staff_scope["bid"], app.demo.riyadh.to_string());
}

#[tokio::test]
async fn expired_tampered_foreign_and_unsigned_tokens_are_rejected() {
    let app = spawn_app().await;
    let good = app.owner().await;
    let c: Claims = serde_json::from_value(claims(&good)).unwrap();
    let keys = JwtKeys::from_spec(JWT_KEYS, "sous", "sous-api").unwrap();

    let expired = keys
        .sign(&Claims {
            iat: c.iat - 3600,
            exp: c.iat - 1800,
            ..c.clone()
        })
        .unwrap();
    let res = app.get("/api/me", &expired).await;
    assert_eq!((res.status.as_u16(), res.code()), (401, "token_expired"));

    let foreign_aud = JwtKeys::from_spec(JWT_KEYS, "sous", "other-api").unwrap();
    let token = foreign_aud
        .sign(&Claims {
            aud: "other-api".into(),
            ..c.clone()
        })
        .unwrap();
    assert_eq!(
        app.get("/api/me", &token).await.status,
        401,
        "wrong audience"
    );

    let foreign_iss = keys
        .sign(&Claims {
            iss: "evil".into(),
            ..c.clone()
        })
        .unwrap();
    assert_eq!(
        app.get("/api/me", &foreign_iss).await.status,
        401,
        "wrong issuer"
    );

    let other_key =
        JwtKeys::from_spec("test:ffffffffffffffffffffffffffffffff", "sous", "sous-api").unwrap();
    let forged = other_key.sign(&c).unwrap();
    assert_eq!(
        app.get("/api/me", &forged).await.status,
        401,
        "signed with another key"
    );

    use base64::Engine;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let parts: Vec<&str> = good.split('.').collect();
    let mut payload = claims(&good);
    payload["tid"] = json!(Uuid::now_v7());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(payload.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        app.get("/api/me", &tampered).await.status,
        401,
        "tampered payload"
    );
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT","kid":"test"}"#),
        parts[1]
    );
    assert_eq!(app.get("/api/me", &none).await.status, 401, "alg none");
    assert_eq!(app.get("/api/me", "garbage").await.status, 401);
    let missing = app.call(reqwest::Method::GET, "/api/me", None, None).await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (401, "missing_token")
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.login_as("cashier@demo.sous.test").await;
    let r1 = first["refreshToken"].as_str().unwrap();
    let second = app
        .post("/api/auth/refresh", None, json!({ "refreshToken": r1 }))
        .await
        .expect(200);
    let r2 = second["refreshToken"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(
        claims(second["accessToken"].as_str().unwrap())["role"],
        "cashier"
    );
    let third = app
        .post("/api/auth/refresh", None, json!({ "refreshToken": r2 }))
        .await
        .expect(200);
    let r3 = third["refreshToken"].as_str().unwrap().to_string();

    // r1 was already used: presenting it again is theft; the whole family dies, r3 included.
    let reused = app
        .post("/api/auth/refresh", None, json!({ "refreshToken": r1 }))
        .await;
    assert_eq!(
        (reused.status.as_u16(), reused.code()),
        (401, "refresh_token_reused")
    );
    let after = app
        .post("/api/auth/refresh", None, json!({ "refreshToken": r3 }))
        .await;
    assert_eq!(after.status, 401);

    // A separate login is a separate family and still works; logout ends it.
    let other = app.login_as("cashier@demo.sous.test").await;
    let ro = other["refreshToken"].as_str().unwrap();
    app.post("/api/auth/logout", None, json!({ "refreshToken": ro }))
        .await
        .expect(204);
    assert_eq!(
        app.post("/api/auth/refresh", None, json!({ "refreshToken": ro }))
            .await
            .status,
        401
    );
    assert_eq!(
        app.post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": "not-a-real-token-at-all" })
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn pin_login_on_a_signed_device() {
    // The per-minute limit is a separate guard (tested below); here only the lockout counts.
    let mut s = settings();
    s.rate_limits.pin_per_minute = 100;
    let app = spawn_app_with(s).await;
    let (device, secret) = app.device(app.demo.riyadh, "pos").await;
    let pair = app.pin(device, &secret, "3333").await.expect(200);
    let c = claims(pair["accessToken"].as_str().unwrap());
    assert_eq!(c["role"], "cashier");
    assert_eq!(c["did"], device.to_string());
    assert_eq!(c["bid"], app.demo.riyadh.to_string());
    // A device login refreshes into the same narrowed scope.
    let refreshed = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": pair["refreshToken"] }),
        )
        .await
        .expect(200);
    assert_eq!(
        claims(refreshed["accessToken"].as_str().unwrap())["did"],
        device.to_string()
    );
}

#[tokio::test]
async fn device_signatures_must_be_fresh_unique_and_correct() {
    let app = spawn_app().await;
    let (device, secret) = app.device(app.demo.riyadh, "kds").await;
    let cook = app.demo_pin_user("5555").await;
    let body = serde_json::to_vec(&json!({ "userId": cook, "pin": "5555" })).unwrap();
    let now = chrono::Utc::now().timestamp();
    let nonce = "nonce-0123456789abcdef";
    let sig = sign(&secret, "/api/auth/pin", now, nonce, &body);
    app.signed_raw(device, "/api/auth/pin", body.clone(), now, nonce, &sig)
        .await
        .expect(200);
    let replay = app
        .signed_raw(device, "/api/auth/pin", body.clone(), now, nonce, &sig)
        .await;
    assert_eq!(
        (replay.status.as_u16(), replay.code()),
        (401, "replayed_signature")
    );

    let stale = app
        .signed_post(
            device,
            &secret,
            "/api/auth/pin",
            &json!({ "userId": cook, "pin": "5555" }),
            Some(now - 600),
        )
        .await;
    assert_eq!(
        (stale.status.as_u16(), stale.code()),
        (401, "stale_signature")
    );
    let wrong = app.pin(device, b"not-the-secret", "5555").await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (401, "bad_signature")
    );
    // The body is covered: a valid signature over other bytes fails.
    let ts = chrono::Utc::now().timestamp();
    let other = serde_json::to_vec(&json!({ "userId": cook, "pin": "1111" })).unwrap();
    let sig = sign(&secret, "/api/auth/pin", ts, nonce, &other);
    let swapped = app
        .signed_raw(device, "/api/auth/pin", body.clone(), ts, nonce, &sig)
        .await;
    assert_eq!(
        (swapped.status.as_u16(), swapped.code()),
        (401, "bad_signature")
    );
    let no_nonce = app
        .signed_raw(device, "/api/auth/pin", body.clone(), ts, "", &sig)
        .await;
    assert_eq!(no_nonce.status, 401);
    let unknown = app
        .signed_post(
            Uuid::now_v7(),
            &secret,
            "/api/auth/pin",
            &json!({ "userId": cook, "pin": "5555" }),
            None,
        )
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (401, "unknown_device")
    );

    // A session started on the device ends with the device.
    let session = app.pin(device, &secret, "5555").await.expect(200);
    let owner = app.owner().await;
    app.post(
        &format!("/api/devices/{device}/revoke"),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    let refresh = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": session["refreshToken"] }),
        )
        .await;
    assert_eq!(
        refresh.status, 401,
        "refresh after the device was revoked: {}",
        refresh.body
    );
    let revoked = app.pin(device, &secret, "5555").await;
    assert_eq!(
        (revoked.status.as_u16(), revoked.code()),
        (401, "unknown_device")
    );
}

#[tokio::test]
async fn branch_scoped_staff_cannot_pin_in_on_another_branch() {
    let app = spawn_app().await;
    let (dubai_till, secret) = app.device(app.demo.dubai, "pos").await;
    let res = app.pin(dubai_till, &secret, "3333").await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (401, "invalid_pin"),
        "the Riyadh cashier"
    );
    // The unscoped owner may, and is narrowed to the device's branch.
    let pair = app.pin(dubai_till, &secret, "1111").await.expect(200);
    assert_eq!(
        claims(pair["accessToken"].as_str().unwrap())["bid"],
        app.demo.dubai.to_string()
    );
}

#[tokio::test]
async fn brand_sign_up_conflicts_change_nothing() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/tenants",
            None,
            json!({ "name": "Falafel Co", "slug": "falafel-co", "ownerEmail": "Boss@Falafel.test",
                    "ownerPassword": "correct-horse-battery" }),
        )
        .await
        .expect(201);
    assert_eq!(created["tenant"]["slug"], "falafel-co");
    let me = app
        .get(
            "/api/me",
            created["tokens"]["accessToken"].as_str().unwrap(),
        )
        .await
        .expect(200);
    assert_eq!(me["email"], "boss@falafel.test");
    assert_eq!(me["principal"]["role"], "owner");

    let mut owner = app.db.owner_conn().await;
    let counts = "select (select count(*) from tenants), (select count(*) from users), (select count(*) from memberships)";
    let before: (i64, i64, i64) = sqlx::query_as(counts).fetch_one(&mut owner).await.unwrap();

    let dup_slug = app
        .post("/api/tenants", None, json!({ "name": "X", "slug": "falafel-co", "ownerEmail": "new@x.test", "ownerPassword": "correct-horse-battery" }))
        .await;
    assert_eq!(
        (dup_slug.status.as_u16(), dup_slug.code()),
        (409, "slug_taken")
    );
    let dup_email = app
        .post("/api/tenants", None, json!({ "name": "X", "slug": "another-one", "ownerEmail": "boss@falafel.test", "ownerPassword": "correct-horse-battery" }))
        .await;
    assert_eq!(
        (dup_email.status.as_u16(), dup_email.code()),
        (409, "email_taken")
    );

    let after: (i64, i64, i64) = sqlx::query_as(counts).fetch_one(&mut owner).await.unwrap();
    assert_eq!(before, after, "a refused sign-up writes nothing");
}

#[tokio::test]
async fn customers_and_guests_are_principals_of_their_own_kind() {
    let app = spawn_app().await;
    let pair = app
        .post(
            "/api/auth/customers",
            None,
            json!({ "tenant": "demo", "email": "layla@example.test", "password": "a-good-password", "displayName": "Layla" }),
        )
        .await
        .expect(201);
    let customer = pair["accessToken"].as_str().unwrap();
    assert_eq!(claims(customer)["kind"], "customer");
    let me = app.get("/api/me", customer).await.expect(200);
    assert_eq!(me["displayName"], "Layla");
    assert_eq!(
        me["principal"]["kind"],
        serde_json::to_value(PrincipalKind::Customer).unwrap()
    );
    app.get("/api/staff", customer).await.expect(403);

    let seeded = app.token(Role::Customer).await;
    assert_eq!(claims(&seeded)["role"], "customer");

    let guest = app.guest_token(app.demo.riyadh).await;
    let c = claims(&guest);
    assert_eq!(
        (c["kind"].as_str(), c["role"].as_str()),
        (Some("guest"), Some("guest"))
    );
    let me = app.get("/api/me", &guest).await.expect(200);
    assert!(me["email"].is_null());
    app.get("/api/staff", &guest).await.expect(403);
    let branches = app.get("/api/branches", &guest).await.expect(200);
    assert_eq!(
        branches.as_array().unwrap().len(),
        2,
        "guests see the brand's open branches"
    );

    let unknown_brand = app
        .post(
            "/api/auth/guest",
            None,
            json!({ "tenant": "nope", "branchId": app.demo.riyadh }),
        )
        .await;
    assert_eq!(unknown_brand.status, 404);
}

#[tokio::test]
async fn login_refresh_pin_and_signup_are_rate_limited() {
    let mut s = settings();
    s.rate_limits.login_per_minute = 3;
    s.rate_limits.signup_per_minute = 2;
    s.rate_limits.refresh_per_minute = 2;
    s.rate_limits.pin_per_minute = 2;
    let app = spawn_app_with(s).await;

    for _ in 0..2 {
        app.post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": "no-such-refresh-token" }),
        )
        .await
        .expect(401);
    }
    let limited = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": "no-such-refresh-token" }),
        )
        .await;
    assert_eq!(
        (limited.status.as_u16(), limited.code()),
        (429, "rate_limited")
    );

    let (device, secret) = app.device(app.demo.riyadh, "pos").await;
    app.pin(device, &secret, "9999").await.expect(401);
    app.pin(device, &secret, "3333").await.expect(200);
    let limited = app.pin(device, &secret, "3333").await;
    assert_eq!(
        (limited.status.as_u16(), limited.code()),
        (429, "rate_limited")
    );

    for _ in 0..3 {
        app.post(
            "/api/auth/login",
            None,
            json!({ "email": "waiter@demo.sous.test", "password": "wrong-wrong" }),
        )
        .await
        .expect(401);
    }
    let limited = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": "waiter@demo.sous.test", "password": "sous-demo-2026" }),
        )
        .await;
    assert_eq!(
        (limited.status.as_u16(), limited.code()),
        (429, "rate_limited")
    );
    assert!(
        limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // Another account from the same client is not blocked by the first one's attempts.
    app.login_as("kitchen@demo.sous.test").await;

    for i in 0..2 {
        let slug = format!("limit-{i}");
        app.post("/api/tenants", None, json!({ "name": "L", "slug": slug, "ownerEmail": format!("o{i}@l.test"), "ownerPassword": "correct-horse-battery" }))
            .await
            .expect(201);
    }
    let limited = app
        .post("/api/tenants", None, json!({ "name": "L", "slug": "limit-9", "ownerEmail": "o9@l.test", "ownerPassword": "correct-horse-battery" }))
        .await;
    assert_eq!(limited.status, 429);
}
