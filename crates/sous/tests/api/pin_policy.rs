//! PIN policy: failures count per staff member and per device, another member's success
//! clears nobody's count, locks back off, manager approvals lock and are audited, a branch has
//! a bounded number of devices, and PINs are not unique (a sign-in names the person first).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp, claims, key, line, menu, place, settings, spawn_app, spawn_app_with,
};

fn retry_after(res: &crate::helpers::Res) -> u64 {
    res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn app() -> TestApp {
    // The per-minute device limit is its own guard; here only the lock-out counts.
    let mut s = settings();
    s.rate_limits.pin_per_minute = 1_000;
    spawn_app_with(s).await
}

async fn unlock(app: &TestApp, scope: &str, id: Uuid) {
    sqlx::query(
        "update pin_attempts set locked_until = now() - interval '1 second' \
         where scope = $1 and subject_id = $2",
    )
    .bind(scope)
    .bind(id)
    .execute(&mut app.db.owner_conn().await)
    .await
    .unwrap();
}

#[tokio::test]
async fn failures_count_per_member_and_another_success_clears_nothing() {
    let app = app().await;
    let (device, secret) = app.device(app.demo.riyadh, "pos").await;
    let cashier = app.demo_pin_user("3333").await;
    for _ in 0..5 {
        let res = app.pin_as(device, &secret, cashier, "9999").await;
        assert_eq!((res.status.as_u16(), res.code()), (401, "invalid_pin"));
    }
    // The cashier is locked, even with the right PIN; the lock is theirs, not the device's.
    let locked = app.pin_as(device, &secret, cashier, "3333").await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!((1..=30).contains(&retry_after(&locked)));
    let waiter = app.pin(device, &secret, "4444").await.expect(200);
    assert_eq!(
        claims(waiter["accessToken"].as_str().unwrap())["role"],
        "waiter"
    );
    // The waiter's success did not reset the cashier's count.
    assert_eq!(
        app.pin_as(device, &secret, cashier, "3333").await.status,
        429
    );

    // After the lock ends, one more failure locks again for twice as long.
    unlock(&app, "user", cashier).await;
    app.pin_as(device, &secret, cashier, "9998")
        .await
        .expect(401);
    let relocked = app.pin_as(device, &secret, cashier, "3333").await;
    assert_eq!(relocked.status, 429);
    assert!(
        (31..=60).contains(&retry_after(&relocked)),
        "second lock is 60 s, got {}",
        retry_after(&relocked)
    );
    // Once unlocked, the right PIN signs in and clears the count.
    unlock(&app, "user", cashier).await;
    app.pin_as(device, &secret, cashier, "3333")
        .await
        .expect(200);
    let left: i64 = sqlx::query_scalar("select count(*) from pin_attempts where subject_id = $1")
        .bind(cashier)
        .fetch_one(&mut app.db.owner_conn().await)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_device_locks_after_ten_failures_whoever_succeeds_in_between() {
    let app = app().await;
    let (device, secret) = app.device(app.demo.riyadh, "pos").await;
    let mut guessed = 0;
    for pin in ["3333", "4444", "5555"] {
        let user = app.demo_pin_user(pin).await;
        for _ in 0..4 {
            if guessed == 10 {
                break;
            }
            // Successes on the device in between clear nothing.
            app.pin(device, &secret, "2222").await.expect(200);
            app.pin_as(device, &secret, user, "0000").await.expect(401);
            guessed += 1;
        }
    }
    assert_eq!(guessed, 10);
    let locked = app.pin(device, &secret, "1111").await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    // Another device of the branch is not locked.
    let (other, other_secret) = app.device(app.demo.riyadh, "pos").await;
    app.pin(other, &other_secret, "1111").await.expect(200);
    // The device list shows the lock.
    let owner = app.owner().await;
    let devices = app
        .get(
            &format!("/api/branches/{}/devices", app.demo.riyadh),
            &owner,
        )
        .await
        .expect(200);
    let d = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device.to_string())
        .unwrap();
    assert!(!d["lockedUntil"].is_null(), "{d}");
}

#[tokio::test]
async fn pins_are_not_unique_and_sign_in_names_the_person() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let riyadh = app.demo.riyadh;
    // The cashier's PIN, again: no conflict, so adding staff tells nobody which PINs exist.
    let twin = app
        .post(
            "/api/staff",
            Some(&owner),
            json!({ "email": "twin@demo.sous.test", "password": "correct-horse-battery",
                    "displayName": "Twin", "role": "cashier", "branchId": riyadh, "pin": "3333" }),
        )
        .await
        .expect(201);
    assert!(
        twin.get("initialPin").is_none(),
        "a given PIN is not echoed"
    );
    let twin_id: Uuid = twin["userId"].as_str().unwrap().parse().unwrap();
    // Without a PIN, a 6-digit one is made and shown once; 8 digits are allowed, 9 are not.
    let fresh = app
        .post(
            "/api/staff",
            Some(&owner),
            json!({ "email": "fresh@demo.sous.test", "password": "correct-horse-battery",
                    "displayName": "Fresh", "role": "waiter", "branchId": riyadh }),
        )
        .await
        .expect(201);
    let initial = fresh["initialPin"].as_str().unwrap().to_string();
    assert!(initial.len() == 6 && initial.bytes().all(|b| b.is_ascii_digit()));
    app.post(
        "/api/staff",
        Some(&owner),
        json!({ "email": "long@demo.sous.test", "password": "correct-horse-battery",
                "displayName": "Long", "role": "kitchen", "branchId": riyadh, "pin": "12345678" }),
    )
    .await
    .expect(201);
    let too_long = app
        .post(
            "/api/staff",
            Some(&owner),
            json!({ "email": "longer@demo.sous.test", "password": "correct-horse-battery",
                    "displayName": "Longer", "role": "kitchen", "branchId": riyadh, "pin": "123456789" }),
        )
        .await;
    assert_eq!(too_long.status, 422);

    // The device's tile screen lists who may sign in at its branch, by name.
    let (device, secret) = app.device(riyadh, "pos").await;
    let tiles = app.tiles(device, &secret).await.expect(200);
    let names: Vec<&str> = tiles
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["displayName"].as_str().unwrap())
        .collect();
    for name in ["Twin", "Fresh", "Long"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let fresh_id: Uuid = tiles
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["displayName"] == "Fresh")
        .unwrap()["userId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Both members with PIN 3333 sign in as themselves.
    let t = app
        .pin_as(device, &secret, twin_id, "3333")
        .await
        .expect(200);
    assert_eq!(
        claims(t["accessToken"].as_str().unwrap())["sub"],
        twin_id.to_string()
    );
    let c = app.pin(device, &secret, "3333").await.expect(200);
    assert_ne!(
        claims(c["accessToken"].as_str().unwrap())["sub"],
        twin_id.to_string()
    );
    app.pin_as(device, &secret, fresh_id, &initial)
        .await
        .expect(200);
    // Another branch's device does not show Riyadh's staff; an unsigned request gets nothing.
    let (dubai, dubai_secret) = app.device(app.demo.dubai, "pos").await;
    let dubai_tiles = app.tiles(dubai, &dubai_secret).await.expect(200);
    assert!(!dubai_tiles.to_string().contains("Twin"));
    let unsigned = app
        .client
        .get(format!("{}/api/auth/pin/staff", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
}

#[tokio::test]
async fn a_branch_has_at_most_twenty_devices() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let path = format!("/api/branches/{}/devices", app.demo.dubai);
    let mut first = None;
    for i in 0..20 {
        let d = app
            .post(
                &path,
                Some(&owner),
                json!({ "kind": "pos", "name": format!("Till {i}") }),
            )
            .await
            .expect(201);
        first.get_or_insert(d["device"]["id"].as_str().unwrap().to_string());
    }
    let refused = app
        .post(
            &path,
            Some(&owner),
            json!({ "kind": "pos", "name": "One more" }),
        )
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (409, "device_limit")
    );
    // A revoked device frees its place.
    app.post(
        &format!("/api/devices/{}/revoke", first.unwrap()),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &path,
        Some(&owner),
        json!({ "kind": "pos", "name": "One more" }),
    )
    .await
    .expect(201);
}

async fn audited_refusals(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = 'approval.refused'")
        .fetch_one(&mut app.db.owner_conn().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_manager_pins_lock_approvals_and_are_audited() {
    let app = app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let mut l: Value = line(&m, "Classic Beef Burger", 4);
    l["discounts"] = json!([{ "percentBp": 5000, "label": "VIP" }]);
    let body = |pin: &str| json!({ "branchId": riyadh, "type": "takeaway", "lines": [l.clone()], "managerPin": pin });
    for n in 1..=5 {
        let res = place(&app, &cashier, &key(), &body("9090")).await;
        assert_eq!(res.status, 403, "{}", res.body);
        assert_eq!(audited_refusals(&app).await, n, "every refusal is audited");
    }
    // Locked now, even with the manager's right PIN.
    let locked = place(&app, &cashier, &key(), &body("2222")).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(retry_after(&locked) >= 1);
    assert_eq!(audited_refusals(&app).await, 6);
    // Another cashier's approvals are not locked by the first one's guesses.
    let owner = app.owner().await;
    app.post(
        "/api/staff",
        Some(&owner),
        json!({ "email": "second@demo.sous.test", "password": "correct-horse-battery",
                "displayName": "Second", "role": "cashier", "branchId": riyadh }),
    )
    .await
    .expect(201);
    let second = app
        .post(
            "/api/auth/login",
            None,
            json!({ "email": "second@demo.sous.test", "password": "correct-horse-battery" }),
        )
        .await
        .expect(200)["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    place(&app, &second, &key(), &body("2222"))
        .await
        .expect(201);
}
