//! The time clock: staff clock in and out with breaks (on a till or with a password session),
//! worked time leaves out unpaid breaks, one open entry per person, the timesheet is for owners
//! and the branch's managers and counts days in the branch's time zone, corrections are audited
//! and bad input changes nothing, another brand sees nothing, and disabling a member clocks
//! them out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::{auth::Role, db::TenantScope};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, at_plus, claims, days_ago, int, spawn_app};

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

fn user(token: &str) -> String {
    claims(token)["sub"].as_str().unwrap().to_string()
}

async fn open_entries(app: &TestApp) -> i64 {
    app.scalar("select count(*) from time_entries where clock_out is null")
        .await
}

async fn corrections_audited(app: &TestApp, entry: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from audit_log where action = 'time_entry.corrected' and entity_id = $1",
    )
    .bind(entry.parse::<Uuid>().unwrap())
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap()
}

/// The figures of a correction: 8 hours, a 30-minute unpaid break and a 15-minute paid one.
fn eight_hour_day(start: DateTime<Utc>) -> Value {
    json!({
        "clockIn": at_plus(start, 0), "clockOut": at_plus(start, 8 * 60),
        "reason": "forgot to clock out",
        "breaks": [
            { "startedAt": at_plus(start, 180), "endedAt": at_plus(start, 210) },
            { "startedAt": at_plus(start, 300), "endedAt": at_plus(start, 315), "paid": true }
        ]
    })
}

#[tokio::test]
async fn a_shift_on_the_till_leaves_the_unpaid_break_out_of_the_time_worked() {
    let app = spawn_app().await;
    let till = app.till(app.demo.riyadh, "3333").await;
    let off = app.clock_state(&till.token).await;
    assert_eq!(off["status"], "off", "{off}");
    assert!(off["entry"].is_null());

    // No body at all: the till's branch.
    let entry = app.clock(&till.token, "in", None).await.expect(201);
    assert_eq!(entry["branchId"], app.demo.riyadh.to_string());
    assert_eq!(entry["deviceId"], till.device.to_string());
    assert_eq!(entry["userId"], user(&till.token));
    assert_eq!(entry["displayName"], "Demo Cashier");
    assert!(entry["clockOut"].is_null());
    assert_eq!(app.clock_state(&till.token).await["status"], "on");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let on_break = app
        .clock(&till.token, "break/start", Some(json!({})))
        .await
        .expect(201);
    assert_eq!(on_break["breaks"][0]["paid"], false);
    assert!(on_break["breaks"][0]["endedAt"].is_null());
    let state = app.clock_state(&till.token).await;
    assert_eq!(state["status"], "on_break", "{state}");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    app.clock(&till.token, "break/end", None).await.expect(200);
    assert_eq!(app.clock_state(&till.token).await["status"], "on");

    let out = app.clock(&till.token, "out", None).await.expect(200);
    let span = (time(&out["clockOut"]) - time(&out["clockIn"])).num_milliseconds() / 1000;
    let (worked, on_break) = (int(&out["workedSeconds"]), int(&out["breakSeconds"]));
    assert!(on_break >= 1, "{out}");
    // Were the unpaid break counted, the time worked would be the whole span.
    assert!(worked < span, "span {span}: {out}");
    assert_eq!(out["clockedOutBy"], user(&till.token));
    assert!(!out["breaks"][0]["endedAt"].is_null());
    assert_eq!(app.clock_state(&till.token).await["status"], "off");

    // Exact figures through a correction: 8 h less the 30 min unpaid break; the paid one counts.
    let manager = app.manager().await;
    let start = days_ago(3);
    let id = out["id"].as_str().unwrap();
    let fixed = app
        .correct_entry(&manager, id, eight_hour_day(start))
        .await
        .expect(200);
    assert_eq!(int(&fixed["workedSeconds"]), 8 * 3600 - 30 * 60, "{fixed}");
    assert_eq!(int(&fixed["breakSeconds"]), 45 * 60);
    assert_eq!(fixed["breaks"].as_array().unwrap().len(), 2);

    let day = start.date_naive();
    let sheet = app
        .timesheet(&manager, app.demo.riyadh, &format!("from={day}&to={day}"))
        .await
        .expect(200);
    assert_eq!(sheet["timeZone"], "Asia/Riyadh");
    let entries = sheet["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{sheet}");
    assert_eq!(entries[0]["id"], id);
    assert_eq!(int(&entries[0]["workedSeconds"]), 27_000);
    assert_eq!(entries[0]["deviceId"], till.device.to_string());
    assert_eq!(
        sheet["summary"],
        json!([{ "userId": user(&till.token), "displayName": "Demo Cashier", "entries": 1,
                 "workedSeconds": 27_000, "breakSeconds": 2_700 }])
    );
}

#[tokio::test]
async fn one_open_entry_and_one_open_break_at_a_time() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    for action in ["out", "break/start", "break/end"] {
        let res = app.clock(&cashier, action, None).await;
        assert_eq!(res.status, 409, "{action}: {}", res.body);
        assert_eq!(res.code(), "not_clocked_in");
    }
    // Bad input clocks no one in.
    let res = app
        .clock(
            &cashier,
            "in",
            Some(json!({ "branchId": app.demo.riyadh, "shift": "late" })),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let res = app
        .clock(&cashier, "in", Some(json!({ "note": "x".repeat(501) })))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(open_entries(&app).await, 0);

    // A password session of a branch's cashier clocks in at their branch.
    let entry = app
        .clock(&cashier, "in", Some(json!({ "note": "covering for Sam" })))
        .await
        .expect(201);
    assert_eq!(entry["branchId"], app.demo.riyadh.to_string());
    assert!(entry["deviceId"].is_null());
    assert_eq!(entry["note"], "covering for Sam");
    // Again, on the till as well: one open entry per person.
    let till = app.till(app.demo.riyadh, "3333").await;
    for token in [&cashier, &till.token] {
        let res = app.clock(token, "in", None).await;
        assert_eq!(res.status, 409, "{}", res.body);
        assert_eq!(res.code(), "already_clocked_in");
    }
    assert_eq!(open_entries(&app).await, 1);

    let res = app.clock(&cashier, "break/end", None).await;
    assert_eq!((res.status.as_u16(), res.code()), (409, "not_on_break"));
    let paid = app
        .clock(&cashier, "break/start", Some(json!({ "paid": true })))
        .await
        .expect(201);
    assert_eq!(paid["breaks"][0]["paid"], true);
    let res = app.clock(&cashier, "break/start", None).await;
    assert_eq!((res.status.as_u16(), res.code()), (409, "already_on_break"));

    // Clocking out ends the break first.
    let out = app.clock(&till.token, "out", None).await.expect(200);
    assert_eq!(out["id"], entry["id"]);
    assert_eq!(out["breaks"][0]["endedAt"], out["clockOut"]);
    assert_eq!(open_entries(&app).await, 0);
    let res = app.clock(&cashier, "out", None).await;
    assert_eq!(res.code(), "not_clocked_in");
}

#[tokio::test]
async fn every_staff_role_clocks_in_within_its_scope() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    // The kitchen screen's session carries the kitchen role; drivers are paid staff too.
    let kitchen = app.kitchen_screen(riyadh, "5555").await;
    app.clock(&kitchen.token, "in", None).await.expect(201);
    let driver = app.token(Role::Driver).await;
    app.clock(&driver, "in", Some(json!({ "branchId": riyadh })))
        .await
        .expect(201);

    // A member of Riyadh clocks in at Riyadh only.
    let waiter = app.token(Role::Waiter).await;
    let res = app
        .clock(&waiter, "in", Some(json!({ "branchId": dubai })))
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    // The owner's password session has no branch: it must name one.
    let owner = app.owner().await;
    let res = app.clock(&owner, "in", None).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body["errors"]["branchId"].is_array(), "{}", res.body);
    // A till clocks in at its own branch, even for the owner.
    let till = app.till(riyadh, "1111").await;
    let res = app
        .clock(&till.token, "in", Some(json!({ "branchId": dubai })))
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    // An unknown branch is not found.
    let res = app
        .clock(&owner, "in", Some(json!({ "branchId": Uuid::now_v7() })))
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    assert_eq!(open_entries(&app).await, 2);
    let entry = app
        .clock(&owner, "in", Some(json!({ "branchId": dubai })))
        .await
        .expect(201);
    assert_eq!(entry["branchId"], dubai.to_string());
    // Customers have no clock.
    let customer = app.token(Role::Customer).await;
    assert_eq!(app.get("/api/time-clock", &customer).await.status, 403);
}

#[tokio::test]
async fn only_owners_and_the_branch_managers_read_a_timesheet() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let cashier = app.cashier().await;
    app.clock(&cashier, "in", None).await.expect(201);
    for role in [Role::Cashier, Role::Waiter, Role::Kitchen, Role::Driver] {
        let token = app.token(role).await;
        let res = app.timesheet(&token, riyadh, "").await;
        assert_eq!(res.status, 403, "{role:?}: {}", res.body);
    }
    let manager = app.manager().await;
    let res = app.timesheet(&manager, dubai, "").await;
    assert_eq!(res.status, 403, "a Riyadh manager at Dubai: {}", res.body);

    // Today at the branch, the open entry counted up to now.
    let sheet = app.timesheet(&manager, riyadh, "").await.expect(200);
    let entries = sheet["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{sheet}");
    assert!(entries[0]["clockOut"].is_null());
    assert!(int(&entries[0]["workedSeconds"]) >= 0);
    let owner = app.owner().await;
    let dubai_sheet = app.timesheet(&owner, dubai, "").await.expect(200);
    assert_eq!(dubai_sheet["entries"], json!([]));
    let mine = app
        .timesheet(&owner, riyadh, &format!("userId={}", user(&cashier)))
        .await
        .expect(200);
    assert_eq!(mine["entries"].as_array().unwrap().len(), 1);
    let nobody = app
        .timesheet(&owner, riyadh, &format!("userId={}", Uuid::now_v7()))
        .await
        .expect(200);
    assert_eq!(nobody["entries"], json!([]));
}

#[tokio::test]
async fn the_timesheet_counts_days_in_the_branch_time_zone() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let id = app.clock(&cashier, "in", None).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    // 22:30 UTC is 01:30 the next day in Riyadh (UTC+3).
    let start = days_ago(5) + chrono::Duration::minutes(16 * 60 + 30);
    app.correct_entry(
        &manager,
        &id,
        json!({ "clockIn": at_plus(start, 0), "clockOut": at_plus(start, 240), "reason": "late shift" }),
    )
    .await
    .expect(200);
    let utc_day = start.date_naive();
    let riyadh_day = utc_day.succ_opt().unwrap();
    let on = |day: chrono::NaiveDate| format!("from={day}&to={day}");
    let sheet = app
        .timesheet(&manager, app.demo.riyadh, &on(utc_day))
        .await
        .expect(200);
    assert_eq!(sheet["entries"], json!([]), "{sheet}");
    let sheet = app
        .timesheet(&manager, app.demo.riyadh, &on(riyadh_day))
        .await
        .expect(200);
    assert_eq!(sheet["entries"][0]["id"], id.as_str(), "{sheet}");
    assert_eq!(int(&sheet["summary"][0]["workedSeconds"]), 4 * 3600);

    let backwards = format!("from={riyadh_day}&to={utc_day}");
    let res = app.timesheet(&manager, app.demo.riyadh, &backwards).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let long = format!(
        "from={utc_day}&to={}",
        utc_day + chrono::Duration::days(100)
    );
    let res = app.timesheet(&manager, app.demo.riyadh, &long).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let res = app
        .timesheet(&manager, app.demo.riyadh, "from=yesterday")
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
}

#[tokio::test]
async fn a_correction_is_audited_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let entry = app.clock(&cashier, "in", None).await.expect(201);
    let id = entry["id"].as_str().unwrap();
    app.clock(&cashier, "break/start", None).await.expect(201);
    let start = days_ago(2);
    let good = eight_hour_day(start);
    let with = |change: Value| {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let bad = [
        with(json!({ "clockOut": at_plus(start, 0) })),
        with(json!({ "clockOut": at_plus(start, -60) })),
        with(json!({ "clockOut": at_plus(start, 25 * 60) })),
        with(json!({ "clockOut": at_plus(Utc::now(), 60), "breaks": [] })),
        with(json!({ "reason": "" })),
        with(json!({ "reason": "   " })),
        with(json!({ "minutes": 480 })),
        with(
            json!({ "breaks": [{ "startedAt": at_plus(start, -30), "endedAt": at_plus(start, 10) }] }),
        ),
        with(
            json!({ "breaks": [{ "startedAt": at_plus(start, 60), "endedAt": at_plus(start, 60) }] }),
        ),
        with(json!({ "breaks": [
            { "startedAt": at_plus(start, 60), "endedAt": at_plus(start, 120) },
            { "startedAt": at_plus(start, 90), "endedAt": at_plus(start, 150) }] })),
    ];
    for body in bad {
        let res = app.correct_entry(&manager, id, body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.body);
    }
    // Nothing changed: still open and on its break, never corrected, nothing audited.
    let state = app.clock_state(&cashier).await;
    assert_eq!(state["status"], "on_break", "{state}");
    assert_eq!(state["entry"]["clockIn"], entry["clockIn"]);
    assert!(state["entry"]["editedAt"].is_null());
    assert_eq!(corrections_audited(&app, id).await, 0);

    // Only managers, of the entry's branch; an unknown id is not found.
    let res = app.correct_entry(&cashier, id, good.clone()).await;
    assert_eq!(res.status, 403, "{}", res.body);
    let dubai_driver = app.login_as(identity::seed::DEMO_DUBAI_DRIVER.0).await["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let at_dubai = app.clock(&dubai_driver, "in", None).await.expect(201);
    assert_eq!(at_dubai["branchId"], app.demo.dubai.to_string());
    let res = app
        .correct_entry(&manager, at_dubai["id"].as_str().unwrap(), good.clone())
        .await;
    assert_eq!(
        res.status, 403,
        "a Riyadh manager, a Dubai entry: {}",
        res.body
    );
    let res = app
        .correct_entry(&manager, &Uuid::now_v7().to_string(), good.clone())
        .await;
    assert_eq!(res.status, 404, "{}", res.body);

    let fixed = app
        .correct_entry(&manager, id, good.clone())
        .await
        .expect(200);
    let manager_id = user(&manager);
    assert_eq!(
        fixed["clockOut"],
        good["clockOut"].as_str().unwrap().replace("+00:00", "Z")
    );
    assert_eq!(fixed["clockedOutBy"], manager_id);
    assert_eq!(fixed["editedBy"], manager_id);
    assert_eq!(app.clock_state(&cashier).await["status"], "off");
    let (before, after): (Value, Value) = sqlx::query_as(
        "select before, after from audit_log where action = 'time_entry.corrected' \
         and entity = 'time_entry' and entity_id = $1 and actor_id = $2 and actor_role = 'manager'",
    )
    .bind(id.parse::<Uuid>().unwrap())
    .bind(manager_id.parse::<Uuid>().unwrap())
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    assert!(before["clockOut"].is_null(), "{before}");
    assert_eq!(before["breaks"].as_array().unwrap().len(), 1);
    assert_eq!(after["reason"], "forgot to clock out");
    assert_eq!(int(&after["workedSeconds"]), 27_000, "{after}");

    // Another entry of the person may not overlap this one.
    let next = app.clock(&cashier, "in", None).await.expect(201);
    let res = app
        .correct_entry(
            &manager,
            next["id"].as_str().unwrap(),
            json!({ "clockIn": at_plus(start, 60), "clockOut": at_plus(start, 120), "reason": "x" }),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.code(), "overlapping_entry");
    assert_eq!(
        corrections_audited(&app, next["id"].as_str().unwrap()).await,
        0
    );

    // A manager's own entries are corrected by someone else.
    let own = app.clock(&manager, "in", None).await.expect(201);
    let own_id = own["id"].as_str().unwrap();
    let late = json!({ "clockIn": at_plus(days_ago(1), 0), "clockOut": at_plus(days_ago(1), 60),
                       "reason": "x" });
    let res = app.correct_entry(&manager, own_id, late.clone()).await;
    assert_eq!((res.status.as_u16(), res.code()), (403, "own_entry"));
    let owner = app.owner().await;
    app.correct_entry(&owner, own_id, late).await.expect(200);
    assert_eq!(corrections_audited(&app, id).await, 1);
}

#[tokio::test]
async fn another_brand_sees_none_of_the_entries() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let id = app.clock(&cashier, "in", None).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (other, other_tenant, other_branch) = app.other_tenant("rival").await;
    let res = app.timesheet(&other, app.demo.riyadh, "").await;
    assert_eq!(res.status, 404, "{}", res.body);
    let start = days_ago(1);
    let res = app
        .correct_entry(
            &other,
            &id,
            json!({ "clockIn": at_plus(start, 0), "clockOut": at_plus(start, 60), "reason": "x" }),
        )
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    // The rival's own clock and timesheet know nothing of it.
    app.clock(&other, "in", Some(json!({ "branchId": other_branch })))
        .await
        .expect(201);
    let sheet = app.timesheet(&other, other_branch, "").await.expect(200);
    assert_eq!(sheet["entries"].as_array().unwrap().len(), 1);
    assert_ne!(sheet["entries"][0]["id"], id.as_str());
    // Row-level security, under the rival's tenant: only its own entry.
    let mut tx = app
        .state
        .db
        .begin(TenantScope::tenant(other_tenant))
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from time_entries")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(seen, 1);
    assert_eq!(app.clock_state(&cashier).await["entry"]["id"], id.as_str());
}

#[tokio::test]
async fn disabling_a_member_clocks_them_out() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let id = app.clock(&cashier, "in", None).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock(&cashier, "break/start", None).await.expect(201);
    let owner = app.owner().await;
    let membership = app.membership_id("cashier@demo.sous.test").await;
    app.post(
        &format!("/api/staff/{membership}/disable"),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(open_entries(&app).await, 0);
    let sheet = app.timesheet(&owner, app.demo.riyadh, "").await.expect(200);
    let entry = &sheet["entries"][0];
    assert_eq!(entry["id"], id.as_str(), "{sheet}");
    assert!(!entry["clockOut"].is_null());
    assert_eq!(entry["clockedOutBy"], user(&owner));
    assert_eq!(entry["breaks"][0]["endedAt"], entry["clockOut"]);
    // A member with another enabled role in the brand stays on the clock.
    let token = app
        .new_member("two.roles@demo.sous.test", Role::Waiter, app.demo.riyadh)
        .await;
    app.clock(&token, "in", None).await.expect(201);
    let waiter_user = user(&token).parse::<Uuid>().unwrap();
    sqlx::query(
        "insert into memberships (id, tenant_id, user_id, role, branch_id) \
         values ($1, $2, $3, 'driver', $4)",
    )
    .bind(Uuid::now_v7())
    .bind(app.demo.tenant_id)
    .bind(waiter_user)
    .bind(app.demo.riyadh)
    .execute(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    let waiter_membership: Uuid =
        sqlx::query_scalar("select id from memberships where user_id = $1 and role = 'waiter'")
            .bind(waiter_user)
            .fetch_one(&mut app.db.owner_conn().await)
            .await
            .unwrap();
    app.post(
        &format!("/api/staff/{waiter_membership}/disable"),
        Some(&owner),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(open_entries(&app).await, 1);
}
