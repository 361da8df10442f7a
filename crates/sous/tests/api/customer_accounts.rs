//! Customer accounts belong to one brand: the same email signs up with two brands, with two
//! passwords, and nothing asked of one brand tells whether another knows the email.

use platform::{auth::password, testing::TestDb};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, claims, settings, spawn_app, spawn_app_on};

async fn sign_up(app: &TestApp, tenant: &str, email: &str, password: &str, name: &str) -> Value {
    app.post(
        "/api/auth/customers",
        None,
        json!({ "tenant": tenant, "email": email, "password": password, "displayName": name }),
    )
    .await
    .expect(201)
}

async fn log_in(app: &TestApp, tenant: &str, email: &str, password: &str) -> crate::helpers::Res {
    app.post(
        "/api/auth/login",
        None,
        json!({ "tenant": tenant, "email": email, "password": password }),
    )
    .await
}

/// A refused login's answer, with the password checks it ran.
async fn refused(app: &TestApp, tenant: &str, email: &str, password: &str) -> (u16, Value, u64) {
    let before = app.state.limits.hashing.verifications();
    let res = log_in(app, tenant, email, password).await;
    let checks = app.state.limits.hashing.verifications() - before;
    (res.status.as_u16(), res.body, checks)
}

#[tokio::test]
async fn one_email_holds_an_account_with_each_brand() {
    let app = spawn_app().await;
    app.other_tenant("brand-b").await;
    let email = "sam@example.test";
    let a = sign_up(&app, "demo", email, "password-of-brand-a", "Sam A").await;
    let b = sign_up(&app, "brand-b", email, "password-of-brand-b", "Sam B").await;
    let (ca, cb) = (
        claims(a["accessToken"].as_str().unwrap()),
        claims(b["accessToken"].as_str().unwrap()),
    );
    assert_ne!(ca["sub"], cb["sub"], "two accounts");
    assert_ne!(ca["tid"], cb["tid"]);

    for (tenant, pw, name) in [
        ("demo", "password-of-brand-a", "Sam A"),
        ("brand-b", "password-of-brand-b", "Sam B"),
    ] {
        let pair = log_in(&app, tenant, email, pw).await.expect(200);
        let access = pair["accessToken"].as_str().unwrap();
        assert_eq!(claims(access)["kind"], "customer");
        let me = app.get("/api/me", access).await.expect(200);
        assert_eq!(
            (
                me["displayName"].as_str(),
                me["email"].as_str(),
                me["tenant"]["slug"].as_str()
            ),
            (Some(name), Some(email), Some(tenant))
        );
    }

    // Brand A's password does not open brand B's account, and the refusal is an unknown
    // email's: same status, same body, same number of password checks.
    let unknown = refused(
        &app,
        "brand-b",
        "nobody@example.test",
        "password-of-brand-a",
    )
    .await;
    let wrong = refused(&app, "brand-b", email, "password-of-brand-a").await;
    assert_eq!(unknown.0, 401);
    assert_eq!(wrong, unknown);

    // Signing up again with a brand that has the account is the only conflict.
    let again = app
        .post(
            "/api/auth/customers",
            None,
            json!({ "tenant": "brand-b", "email": "SAM@example.test", "password": "another-password",
                    "displayName": "Sam again" }),
        )
        .await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "email_taken"));
}

#[tokio::test]
async fn signing_up_tells_nothing_of_other_brands() {
    let app = spawn_app().await;
    app.other_tenant("brand-b").await;
    sign_up(
        &app,
        "demo",
        "known@example.test",
        "a-good-password",
        "Known",
    )
    .await;

    // New, a demo customer, demo staff (a global user): all three answer alike.
    let mut answers = Vec::new();
    for email in [
        "fresh@example.test",
        "known@example.test",
        "owner@demo.sous.test",
    ] {
        let res = app
            .post(
                "/api/auth/customers",
                None,
                json!({ "tenant": "brand-b", "email": email, "password": "b-good-password",
                        "displayName": "In B" }),
            )
            .await;
        let mut keys: Vec<String> = res.body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        answers.push((res.status.as_u16(), keys));
        let pair = log_in(&app, "brand-b", email, "b-good-password")
            .await
            .expect(200);
        assert_eq!(
            claims(pair["accessToken"].as_str().unwrap())["kind"],
            "customer"
        );
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 201);

    // The demo customer's own password still opens only the demo account.
    log_in(&app, "demo", "known@example.test", "a-good-password")
        .await
        .expect(200);
    let unknown = refused(&app, "demo", "nobody@example.test", "b-good-password").await;
    assert_eq!(
        refused(&app, "demo", "known@example.test", "b-good-password").await,
        unknown
    );
}

#[tokio::test]
async fn a_login_into_another_brand_is_an_unknown_email() {
    let app = spawn_app().await;
    app.other_tenant("brand-b").await;
    let unknown = refused(&app, "brand-b", "nobody@example.test", PASSWORD).await;
    assert_eq!(unknown.0, 401);
    assert_eq!(unknown.2, 1, "an unknown email costs one password check");
    // The demo customer and the demo cashier, with their right passwords, in brand B.
    for email in [identity::seed::DEMO_CUSTOMER, "cashier@demo.sous.test"] {
        assert_eq!(
            refused(&app, "brand-b", email, PASSWORD).await,
            unknown,
            "{email}"
        );
    }
    // A customer account is always of a named brand: without one, only staff accounts are
    // checked, and the customer's email is unknown.
    let res = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": identity::seed::DEMO_CUSTOMER, "password": PASSWORD }),
        )
        .await;
    assert_eq!((res.status.as_u16(), res.body), (unknown.0, unknown.1));
}

#[tokio::test]
async fn a_staff_member_may_also_be_a_customer_of_their_brand() {
    let app = spawn_app().await;
    let email = "owner@demo.sous.test";
    sign_up(
        &app,
        "demo",
        email,
        "my-customer-password",
        "Owner as a guest",
    )
    .await;
    let staff = log_in(&app, "demo", email, PASSWORD).await.expect(200);
    assert_eq!(
        claims(staff["accessToken"].as_str().unwrap())["role"],
        "owner"
    );
    let customer = log_in(&app, "demo", email, "my-customer-password")
        .await
        .expect(200);
    let access = customer["accessToken"].as_str().unwrap();
    assert_eq!(claims(access)["role"], "customer");
    let me = app.get("/api/me", access).await.expect(200);
    assert_eq!(me["displayName"], "Owner as a guest");
    app.get("/api/staff", access).await.expect(403);
}

#[tokio::test]
async fn a_customer_refreshes_reads_me_and_logs_out() {
    let app = spawn_app().await;
    let pair = log_in(&app, "demo", identity::seed::DEMO_CUSTOMER, PASSWORD)
        .await
        .expect(200);
    let access = pair["accessToken"].as_str().unwrap();
    let me = app.get("/api/me", access).await.expect(200);
    assert_eq!(me["email"], identity::seed::DEMO_CUSTOMER);
    assert_eq!(me["displayName"], "Demo Guest");

    let next = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": pair["refreshToken"] }),
        )
        .await
        .expect(200);
    let access = next["accessToken"].as_str().unwrap();
    assert_eq!(
        claims(access)["sub"],
        claims(pair["accessToken"].as_str().unwrap())["sub"]
    );
    assert_eq!(
        app.get("/api/me", access).await.expect(200)["displayName"],
        "Demo Guest"
    );

    app.post(
        "/api/auth/logout",
        None,
        json!({ "refreshToken": next["refreshToken"] }),
    )
    .await
    .expect(204);
    let after = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": next["refreshToken"] }),
        )
        .await;
    assert_eq!(after.status, 401);

    // A disabled account's tokens stop at once, and it no longer signs in.
    sqlx::query("update customer_accounts set disabled_at = now() where email = $1")
        .bind(identity::seed::DEMO_CUSTOMER)
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    app.state.sessions.forget(None);
    assert_eq!(app.get("/api/me", access).await.status, 401);
    assert_eq!(
        log_in(&app, "demo", identity::seed::DEMO_CUSTOMER, PASSWORD)
            .await
            .status,
        401
    );
}

/// The migration moves customers out of `users`/`memberships`: a customer from before it signs
/// in to their brand with their password, keeps their id (so their orders stay theirs), and
/// their refresh token from before still works.
#[tokio::test]
async fn a_customer_from_before_the_move_still_signs_in() {
    let db = TestDb::before(20261207000700).await;
    let (tenant, user) = (Uuid::now_v7(), Uuid::now_v7());
    let hash = password::hash(PASSWORD.into()).await.unwrap();
    let refresh = "an-old-refresh-token-from-before";
    {
        let mut conn = db.owner_conn().await;
        sqlx::query("insert into tenants (id, slug, name) values ($1, 'old-brand', 'Old brand')")
            .bind(tenant)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "insert into users (id, email, password_hash, display_name) \
             values ($1, 'old@example.test', $2, 'Old Customer')",
        )
        .bind(user)
        .bind(&hash)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "insert into memberships (id, tenant_id, user_id, role) values ($1, $2, $3, 'customer')",
        )
        .bind(Uuid::now_v7())
        .bind(tenant)
        .bind(user)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "insert into refresh_tokens (id, tenant_id, family_id, subject_id, kind, role, \
             token_hash, expires_at) values ($1, $2, $1, $3, 'customer', 'customer', $4, \
             now() + interval '1 day')",
        )
        .bind(Uuid::now_v7())
        .bind(tenant)
        .bind(user)
        .bind(password::token_hash(refresh))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    db.migrate().await;
    let app = spawn_app_on(db, settings()).await;

    let mut conn = app.db.owner_conn().await;
    let left: (i64, i64) = sqlx::query_as(
        "select (select count(*) from users where id = $1), \
         (select count(*) from memberships where user_id = $1)",
    )
    .bind(user)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        left,
        (0, 0),
        "no global user or membership is left of the customer"
    );

    let pair = log_in(&app, "old-brand", "old@example.test", PASSWORD)
        .await
        .expect(200);
    let access = pair["accessToken"].as_str().unwrap();
    assert_eq!(claims(access)["sub"], user.to_string());
    assert_eq!(
        app.get("/api/me", access).await.expect(200)["displayName"],
        "Old Customer"
    );

    let next = app
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refreshToken": refresh }),
        )
        .await
        .expect(200);
    assert_eq!(
        claims(next["accessToken"].as_str().unwrap())["sub"],
        user.to_string()
    );

    // The email is free for staff now: the brand's owner may hire them.
    let (owner, _, branch) = app.other_tenant("brand-c").await;
    let added = app
        .post(
            "/api/staff",
            Some(&owner),
            json!({ "email": "old@example.test", "password": PASSWORD, "displayName": "Hired",
                    "role": "cashier", "branchId": branch }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
}
