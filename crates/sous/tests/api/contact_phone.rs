//! An order's contact phone, and promo codes limited per customer counted by it: a guest
//! session or a customer account costs nothing to make again, a phone number does.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, key, line, menu, place, spawn_app};

/// A code worth 10 %, once per customer, live for a day.
async fn once_per_customer(app: &TestApp, code: &str) {
    let owner = app.owner().await;
    let now = chrono::Utc::now();
    app.post(
        "/api/promo-codes",
        Some(&owner),
        json!({ "code": code, "percentBp": 1000, "maxUsesPerCustomer": 1,
                "validFrom": now - chrono::Duration::hours(1),
                "validUntil": now + chrono::Duration::hours(24) }),
    )
    .await
    .expect(201);
}

fn pickup(m: &Value, branch: Uuid, code: Option<&str>, phone: Option<&str>) -> Value {
    let mut body = json!({ "branchId": branch, "type": "pickup",
                           "lines": [line(m, "Classic Beef Burger", 1)] });
    if let Some(code) = code {
        body["promoCode"] = code.into();
    }
    if let Some(phone) = phone {
        body["contactPhone"] = phone.into();
    }
    body
}

#[tokio::test]
async fn two_guests_with_one_phone_get_a_once_per_customer_code_once() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    once_per_customer(&app, "HELLO").await;
    let m = menu(&app, riyadh).await;

    let first = app.website_guest_token(riyadh).await;
    let placed = place(
        &app,
        &first,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), Some("+966 50 123 4567")),
    )
    .await
    .expect(201);
    assert_eq!(placed["contactPhone"], "+966501234567");
    assert!(placed["totals"]["discountTotal"].as_i64().unwrap() > 0);

    // A new guest session, the same phone written another way: refused, naming the code.
    let second = app.website_guest_token(riyadh).await;
    let res = place(
        &app,
        &second,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), Some("+966501234567")),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["promoCode"]
            .to_string()
            .contains("already used"),
        "{}",
        res.body
    );
    // Another phone may.
    place(
        &app,
        &second,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), Some("+966 55 987 6543")),
    )
    .await
    .expect(201);

    // No phone: 422 naming the phone, and nothing is written.
    let orders = app.scalar("select count(*) from orders").await;
    let third = app.website_guest_token(riyadh).await;
    let res = place(
        &app,
        &third,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), None),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let message = res.body["errors"]["contactPhone"].to_string();
    assert!(message.contains("limited per customer"), "{}", res.body);
    assert_eq!(app.scalar("select count(*) from orders").await, orders);
    assert_eq!(
        app.scalar("select count(*) from promo_redemptions").await,
        2
    );
}

#[tokio::test]
async fn a_customer_who_used_a_code_cannot_use_it_again_under_a_new_phone() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    once_per_customer(&app, "HELLO").await;
    let m = menu(&app, riyadh).await;
    let customer = app.new_customer("once@example.test").await;
    place(
        &app,
        &customer,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), Some("+971 50 123 4567")),
    )
    .await
    .expect(201);
    let res = place(
        &app,
        &customer,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), Some("+971 55 765 4321")),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["promoCode"]
            .to_string()
            .contains("already used"),
        "{}",
        res.body
    );
    // And a fresh account with the phone the first one used is the same customer.
    let other = app.new_customer("twice@example.test").await;
    let res = place(
        &app,
        &other,
        &key(),
        &pickup(&m, riyadh, Some("HELLO"), Some("+971501234567")),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
}

#[tokio::test]
async fn a_contact_phone_is_checked_stored_and_shown_and_needed_only_by_such_codes() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let owner = app.owner().await;
    let customer = app.token(Role::Customer).await;

    // Without a promo code no phone is needed.
    place(&app, &customer, &key(), &pickup(&m, riyadh, None, None))
        .await
        .expect(201);
    // Given, it is normalised, stored and shown with the order (the common order and a
    // guest's take different write paths).
    let guest = app.website_guest_token(riyadh).await;
    for token in [&customer, &guest] {
        let placed = place(
            &app,
            token,
            &key(),
            &pickup(&m, riyadh, None, Some("+966 (50) 123-4567")),
        )
        .await
        .expect(201);
        assert_eq!(placed["contactPhone"], "+966501234567");
        let id = placed["id"].as_str().unwrap();
        let shown = app
            .get(&format!("/api/orders/{id}"), &owner)
            .await
            .expect(200);
        assert_eq!(shown["contactPhone"], "+966501234567");
    }
    let listed = app
        .get(&format!("/api/orders?branchId={riyadh}"), &owner)
        .await
        .expect(200);
    let phones: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["contactPhone"])
        .collect();
    assert!(phones.contains(&&json!("+966501234567")), "{listed}");

    // Not a number in international form: 422 naming the phone, nothing written.
    let orders = app.scalar("select count(*) from orders").await;
    for bad in ["0501234567", "+966 12", "call me at home", "+999 1234 5678"] {
        let res = place(
            &app,
            &customer,
            &key(),
            &pickup(&m, riyadh, None, Some(bad)),
        )
        .await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
        assert!(
            res.body["errors"]["contactPhone"].is_array(),
            "{bad}: {}",
            res.body
        );
    }
    assert_eq!(app.scalar("select count(*) from orders").await, orders);
}
