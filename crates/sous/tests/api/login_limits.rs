//! Sign-in cannot be used to exhaust the server: attempts are limited per client address
//! whatever the email, and password hashing for requests is capped.

use serde_json::json;

use crate::helpers::{settings, spawn_app_with};

#[tokio::test]
async fn random_emails_from_one_address_are_limited() {
    let mut s = settings();
    s.rate_limits.login_per_minute = 100;
    s.rate_limits.login_per_ip_per_minute = 3;
    let app = spawn_app_with(s).await;
    for i in 0..3 {
        app.post(
            "/api/auth/login",
            None,
            json!({ "email": format!("nobody-{i}@example.test"), "password": "guess-guess" }),
        )
        .await
        .expect(401);
    }
    let limited = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": "nobody-9@example.test", "password": "guess-guess" }),
        )
        .await;
    assert_eq!(
        (limited.status.as_u16(), limited.code()),
        (429, "rate_limited")
    );
    assert!(limited.headers.contains_key("retry-after"));
    // A real account from the same address is refused too: the limit is the address's.
    let real = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": "owner@demo.sous.test", "password": crate::helpers::PASSWORD }),
        )
        .await;
    assert_eq!(real.status, 429);
}

#[tokio::test]
async fn password_checks_beyond_the_cap_answer_503_with_retry_after() {
    let mut s = settings();
    s.rate_limits.login_per_minute = 100;
    s.rate_limits.max_concurrent_hashes = 1;
    s.rate_limits.hash_wait_ms = 1;
    let app = spawn_app_with(s).await;
    let attempts = (0..8).map(|i| {
        app.post(
            "/api/auth/login",
            None,
            json!({ "email": format!("flood-{i}@example.test"), "password": "guess-guess" }),
        )
    });
    let answers = futures::future::join_all(attempts).await;
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "eight logins at once with one hashing slot: some must be turned away"
    );
    for r in &busy {
        assert_eq!(r.code(), "busy");
        assert!(
            r.headers["retry-after"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                >= 1
        );
    }
    assert!(
        answers
            .iter()
            .all(|r| matches!(r.status.as_u16(), 401 | 503)),
        "the others are ordinary wrong logins"
    );
    // Once the flood is over, signing in works again.
    app.login_as("owner@demo.sous.test").await;
}
