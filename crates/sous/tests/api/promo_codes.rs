//! Promo codes at checkout: a code applies only within its window, its total and per-customer
//! limits (also under concurrent guests) and above its minimum order; otherwise the order is
//! refused with the reason.

use platform::auth::Role;
use serde_json::json;

use crate::helpers::{assert_books, key, line, menu, place, spawn_app};

#[tokio::test]
async fn promo_codes_apply_within_their_window_and_limits() {
    // A dozen guests at tables: more guest sessions than the per-address limit allows a minute.
    let mut settings = crate::helpers::settings();
    settings.rate_limits.signup_per_minute = 1000;
    let app = crate::helpers::spawn_app_with(settings).await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    let now = chrono::Utc::now();
    let promo = |code: &str,
                 from: i64,
                 until: i64,
                 max: Option<i32>,
                 per: Option<i32>,
                 min: i64| {
        json!({ "code": code, "percentBp": 1000,
                "validFrom": now + chrono::Duration::hours(from), "validUntil": now + chrono::Duration::hours(until),
                "maxUses": max, "maxUsesPerCustomer": per, "minOrder": min })
    };
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("WELCOME10", -1, 24, Some(2), Some(1), 1000),
    )
    .await
    .expect(201);
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("OLD", -48, -24, None, None, 0),
    )
    .await
    .expect(201);
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("SOON", 24, 48, None, None, 0),
    )
    .await
    .expect(201);
    app.post(
        "/api/promo-codes",
        Some(&owner),
        promo("RUSH", -1, 24, Some(3), None, 0),
    )
    .await
    .expect(201);
    assert_eq!(
        app.post(
            "/api/promo-codes",
            Some(&owner),
            promo("welcome10", -1, 24, None, None, 0)
        )
        .await
        .status,
        409
    );
    let manager = app.manager().await; // scoped to one branch: brand-wide codes are not theirs
    assert_eq!(
        app.post(
            "/api/promo-codes",
            Some(&manager),
            promo("MINE", -1, 24, None, None, 0)
        )
        .await
        .status,
        403
    );

    let m = menu(&app, riyadh).await;
    let order = |code: &str, qty: u32| {
        json!({ "branchId": riyadh, "type": "dine_in",
        "lines": [line(&m, "Classic Beef Burger", qty)], "promoCode": code })
    };
    // A limit per customer counts phones (and accounts): without a phone the code is refused.
    let guest = app.guest_token(riyadh).await;
    let res = place(&app, &guest, &key(), &order("WELCOME10", 1)).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"]["contactPhone"]
            .to_string()
            .contains("limited per customer"),
        "{}",
        res.body
    );
    let order = |code: &str, phone: &str| {
        json!({ "branchId": riyadh, "type": "pickup", "contactPhone": phone,
        "lines": [line(&m, "Classic Beef Burger", 1)], "promoCode": code })
    };
    let first = app.token(Role::Customer).await;
    let placed = place(&app, &first, &key(), &order("welcome10", "+966501111111"))
        .await
        .expect(201);
    let gross = placed["totals"]["itemsGross"].as_i64().unwrap();
    assert_eq!(
        placed["totals"]["discountTotal"],
        (gross * 1000 + 5000) / 10000
    );
    let res = place(&app, &first, &key(), &order("WELCOME10", "+966501111111")).await;
    assert_eq!(res.status, 422, "once per customer: {}", res.body);
    let second = app.new_customer("second@customer.test").await;
    place(&app, &second, &key(), &order("WELCOME10", "+966502222222"))
        .await
        .expect(201);
    let third = app.new_customer("third@customer.test").await;
    let res = place(&app, &third, &key(), &order("WELCOME10", "+966503333333")).await;
    assert_eq!(res.status, 422, "used up");
    assert!(
        res.body["errors"]["promoCode"]
            .to_string()
            .contains("used up"),
        "{}",
        res.body
    );
    for (code, why) in [
        ("OLD", "expired"),
        ("SOON", "not valid yet"),
        ("NOPE", "no such"),
    ] {
        let res = place(&app, &third, &key(), &order(code, "+966503333333")).await;
        assert_eq!(res.status, 422, "{code}");
        assert!(
            res.body["errors"]["promoCode"].to_string().contains(why),
            "{code}: {}",
            res.body
        );
    }

    // Ten guests at once on a code with three uses: exactly three get it.
    let mut guests = vec![];
    for _ in 0..10 {
        guests.push(app.guest_token(riyadh).await);
    }
    let body = json!({ "branchId": riyadh, "type": "dine_in",
        "lines": [line(&m, "Classic Beef Burger", 1)], "promoCode": "RUSH" });
    let app_ref = &app;
    let answers = futures::future::join_all(guests.iter().map(|g| {
        let body = body.clone();
        async move { place(app_ref, g, &key(), &body).await.status.as_u16() }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 201).count(),
        3,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|s| **s == 422).count(),
        7,
        "{answers:?}"
    );
    let listed = app.get("/api/promo-codes", &owner).await.expect(200);
    let rush = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "RUSH")
        .unwrap();
    assert_eq!(rush["uses"], 3);
    assert_books(&app).await;
}

#[tokio::test]
async fn a_promo_below_its_minimum_order_does_not_apply() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    let now = chrono::Utc::now();
    app.post("/api/promo-codes", Some(&owner), json!({ "code": "BIG", "amount": 1000,
        "validFrom": now - chrono::Duration::hours(1), "validUntil": now + chrono::Duration::hours(1),
        "minOrder": 100000 })).await.expect(201);
    let m = menu(&app, riyadh).await;
    let guest = app.guest_token(riyadh).await;
    let res = place(
        &app,
        &guest,
        &key(),
        &json!({ "branchId": riyadh, "type": "dine_in",
        "lines": [line(&m, "Karak Tea", 1)], "promoCode": "BIG" }),
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body["errors"]["promoCode"]
            .to_string()
            .contains("at least"),
        "{}",
        res.body
    );
    assert_eq!(app.scalar("select count(*) from orders").await, 0);
}
