//! Behind a trusted proxy the rate limits key on the client's address from the forwarding
//! headers; from any other peer those headers are ignored.

use platform::rate_limit::RateLimitSettings;

use crate::helpers::{settings, sign_up_body, spawn_app_with};

async fn sign_up(app: &crate::helpers::TestApp, slug: &str, forwarded_for: &str) -> u16 {
    app.client
        .post(format!("{}/api/tenants", app.base))
        .header("x-forwarded-for", forwarded_for)
        .json(&sign_up_body(slug))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn limited() -> platform::config::Settings {
    platform::config::Settings {
        rate_limits: RateLimitSettings {
            signup_per_minute: 2,
            ..RateLimitSettings::default()
        },
        ..settings()
    }
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_get_buckets_of_their_own() {
    let app = spawn_app_with(platform::config::Settings {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..limited()
    })
    .await;
    // Three guests behind the proxy, over the per-address limit of two in total.
    assert_eq!(sign_up(&app, "px-a", "198.51.100.1").await, 201);
    assert_eq!(sign_up(&app, "px-b", "198.51.100.2").await, 201);
    assert_eq!(sign_up(&app, "px-c", "198.51.100.3").await, 201);
    // One guest is still limited, whatever it writes to the left of the proxy's entry.
    assert_eq!(sign_up(&app, "px-d", "198.51.100.1").await, 201);
    assert_eq!(
        sign_up(&app, "px-e", "203.0.113.7, 198.51.100.1").await,
        429
    );
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(limited()).await;
    assert_eq!(sign_up(&app, "sp-a", "198.51.100.1").await, 201);
    assert_eq!(sign_up(&app, "sp-b", "198.51.100.2").await, 201);
    assert_eq!(sign_up(&app, "sp-c", "198.51.100.3").await, 429);
}
