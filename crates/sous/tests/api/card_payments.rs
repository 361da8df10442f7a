//! Card tenders on the (simulated) terminal: approvals, declines that write nothing, lost
//! answers resolved without a second charge — by a retry, by the background task, and after the
//! process is killed between the terminal and the books — split tenders, and refunds and voids
//! that go back to the card. The simulator picks its outcome from the amount's last two digits:
//! `…51` declined, `…52` the answer is lost after the terminal acted.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{JWT_KEYS, TestApp, assert_books, card, key, pay_at, spawn_app};

async fn captured_at_terminal(app: &TestApp) -> i64 {
    app.scalar("select coalesce(sum(captured), 0)::bigint from simulator_terminal_charges")
        .await
}

#[tokio::test]
async fn a_card_is_approved_declined_and_recovered_after_a_lost_answer() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let order = app
        .order()
        .line("Classic Beef Burger", 6)
        .placed(&cashier)
        .await;
    let id = order["id"].as_str().unwrap();
    let total = order["total"].as_i64().unwrap();
    assert!(total > 4000, "{total}");

    // Approved.
    let paid = app.pay(&cashier, id, &key(), &card(1000)).await.expect(201);
    let p = &paid["payments"][0];
    assert_eq!(p["method"], "card");
    assert_eq!(p["status"], "captured");
    assert_eq!(p["terminalId"], "counter-1");
    assert_eq!(p["cardBrand"], "visa");
    assert_eq!(p["last4"].as_str().unwrap().len(), 4);
    assert_eq!(paid["paid"], 1000);
    assert_eq!(captured_at_terminal(&app).await, 1000);
    assert_books(&app).await;

    // Declined: a 402 naming the decline; no payment, no journal entry.
    let entries = app.scalar("select count(*) from journal_entries").await;
    let res = app.pay(&cashier, id, &key(), &card(1051)).await;
    assert_eq!(res.status, 402, "{}", res.body);
    assert_eq!(res.code(), "payment_declined");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("insufficient_funds")
    );
    assert_eq!(app.scalar("select count(*) from payments").await, 1);
    assert_eq!(
        app.scalar("select count(*) from journal_entries").await,
        entries
    );
    assert_eq!(captured_at_terminal(&app).await, 1000);

    // The terminal charged but the answer was lost: 504, nothing in our books yet…
    let lost = key();
    let res = app.pay(&cashier, id, &lost, &card(1052)).await;
    assert_eq!(res.status, 504, "{}", res.body);
    assert_eq!(res.code(), "payment_outcome_unknown");
    assert_eq!(app.scalar("select count(*) from payments").await, 1);
    assert_eq!(
        app.scalar("select count(*) from payment_attempts where status = 'unknown'")
            .await,
        1
    );
    // …while it is open it counts against what is due.
    let res = app.pay(&cashier, id, &key(), &card(total - 1000)).await;
    assert_eq!(res.status, 422, "{}", res.body);
    // The retry with the same key asks the terminal, finds the charge and records it once.
    for _ in 0..2 {
        let again = app.pay(&cashier, id, &lost, &card(1052)).await.expect(201);
        assert_eq!(again["paid"], 2052);
    }
    assert_eq!(app.scalar("select count(*) from payments").await, 2);
    assert_eq!(
        app.scalar("select count(*) from simulator_terminal_charges where amount = 1052")
            .await,
        1,
        "one charge at the terminal"
    );
    assert_eq!(captured_at_terminal(&app).await, 2052);
    // The same key for another order is refused.
    let other = app
        .order()
        .line("Classic Beef Burger", 6)
        .placed(&cashier)
        .await;
    let res = app
        .pay(&cashier, other["id"].as_str().unwrap(), &lost, &card(1052))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);

    // Split tender: the rest in cash.
    let rest = app
        .post(
            &format!("/api/orders/{id}/payments"),
            Some(&cashier),
            json!({ "method": "cash", "tendered": total }),
        )
        .await
        .expect(201);
    assert_eq!(rest["due"], 0);
    assert_eq!(rest["payments"].as_array().unwrap().len(), 3);
    // Nothing due: a card is refused before the terminal hears of it.
    let res = app.pay(&cashier, id, &key(), &card(100)).await;
    assert_eq!(res.status, 409, "{}", res.body);
    // A card needs a terminal and a key.
    let res = app
        .post(
            &format!("/api/orders/{}/payments", other["id"].as_str().unwrap()),
            Some(&cashier),
            json!({ "method": "card", "terminalId": "counter-1" }),
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    let res = pay_at(
        &app.base,
        &cashier,
        other["id"].as_str().unwrap(),
        &key(),
        &json!({ "method": "card" }),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_books(&app).await;
}

#[tokio::test]
async fn the_background_task_settles_attempts_left_open() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let order = app
        .order()
        .line("Classic Beef Burger", 6)
        .placed(&cashier)
        .await;
    let id = order["id"].as_str().unwrap();
    let res = app.pay(&cashier, id, &key(), &card(2052)).await;
    assert_eq!(res.status, 504, "{}", res.body);
    // An attempt the terminal never heard of (its process died before the call).
    let mut owner = app.db.owner_conn().await;
    let (attempt, order_id): (Uuid, Uuid) =
        sqlx::query_as("select id, order_id from payment_attempts")
            .fetch_one(&mut owner)
            .await
            .unwrap();
    let never_sent = Uuid::now_v7();
    sqlx::query(
        "insert into payment_attempts (id, tenant_id, branch_id, order_id, kind, method, provider, \
             terminal_id, amount, currency, status, created_by) \
         select $1, tenant_id, branch_id, order_id, 'charge', 'card', provider, terminal_id, 100, \
                currency, 'pending', created_by from payment_attempts where id = $2",
    )
    .bind(never_sent)
    .bind(attempt)
    .execute(&mut owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into task_queue (tenant_id, kind, payload) \
         select tenant_id, 'payments.resolve_attempt', jsonb_build_object('attemptId', $1::uuid) \
         from payment_attempts where id = $1",
    )
    .bind(never_sent)
    .execute(&mut owner)
    .await
    .unwrap();
    // Both are old enough for the task, which runs now.
    sqlx::query("update payment_attempts set created_at = now() - interval '5 minutes'")
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("update task_queue set run_at = now() where kind = 'payments.resolve_attempt'")
        .execute(&mut owner)
        .await
        .unwrap();

    run_tasks_until_settled(&app).await;

    let status = |id: Uuid| format!("select status from payment_attempts where id = '{id}'");
    let s: String = sqlx::query_scalar(&status(attempt))
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(s, "succeeded");
    let s: String = sqlx::query_scalar(&status(never_sent))
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(s, "failed", "no one is at the counter: never charged");
    assert_eq!(
        app.scalar("select count(*) from simulator_terminal_charges")
            .await,
        1
    );
    let paid: i64 = sqlx::query_scalar("select paid from orders where id = $1")
        .bind(order_id)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(paid, 2052);
    assert_books(&app).await;

    // A refund recorded and approved, whose process died before the terminal heard of it: the
    // task completes it, once.
    let refund = Uuid::now_v7();
    sqlx::query(
        "insert into payment_attempts (id, tenant_id, branch_id, order_id, kind, method, provider, \
             amount, currency, status, payment_id, provider_ref, reason, created_by) \
         select $1, tenant_id, branch_id, order_id, 'refund', 'card', provider, 300, currency, \
                'pending', id, provider_ref, 'cold food', created_by \
         from payment_attempts where id = $2",
    )
    .bind(refund)
    .bind(attempt)
    .execute(&mut owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into task_queue (tenant_id, kind, payload) \
         select tenant_id, 'payments.resolve_attempt', jsonb_build_object('attemptId', $1::uuid) \
         from payment_attempts where id = $1",
    )
    .bind(refund)
    .execute(&mut owner)
    .await
    .unwrap();
    run_tasks_until_settled(&app).await;
    assert_eq!(
        app.scalar("select coalesce(sum(amount), 0)::bigint from refunds")
            .await,
        300
    );
    assert_eq!(
        app.scalar("select refunded from simulator_terminal_charges")
            .await,
        300
    );
    assert_books(&app).await;
}

/// Runs a task worker until no attempt is open.
async fn run_tasks_until_settled(app: &TestApp) {
    let worker = app.start_worker().await;
    let started = tokio::time::Instant::now();
    loop {
        let open = app
            .scalar("select count(*) from payment_attempts where status in ('pending', 'unknown')")
            .await;
        if open == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the task settles every attempt"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.stop().await;
}

/// The process is killed (SIGKILL) after the terminal captured and before the books were
/// written; a retry with the same key on another instance completes it with exactly one charge.
#[tokio::test]
async fn a_process_killed_between_the_terminal_and_the_books_is_completed_by_a_retry() {
    use nix::{
        sys::signal::{Signal, kill},
        unistd::Pid,
    };
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let order = app
        .order()
        .line("Classic Beef Burger", 6)
        .placed(&cashier)
        .await;
    let id = order["id"].as_str().unwrap().to_string();

    let admin = std::env::var(platform::testing::ADMIN_URL_ENV).unwrap();
    let url = admin.replacen("/postgres?", &format!("/{}?", app.db.name), 1);
    assert_ne!(url, admin);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sous"))
        .args(["serve", "--no-embedded", "--no-web"])
        .env("SOUS_CONFIG", data.path().join("none.toml"))
        .env("SOUS_DATABASE_URL", &url)
        .env("SOUS_LISTEN", format!("127.0.0.1:{port}"))
        .env("SOUS_DATA_DIR", data.path())
        .env("SOUS_JWT_KEYS", JWT_KEYS)
        .env("SOUS_PIN_PEPPER", "test-pepper")
        .env("SOUS_SEED_DEMO", "false")
        .env("SOUS_WORKER_CONCURRENCY", "0")
        .env("SOUS_SCHEDULER", "off")
        .env("SOUS_PAYMENTS__PAUSE_AFTER_PROVIDER", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = tokio::time::Instant::now();
    while reqwest::get(format!("{base}/api/health")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "sous started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The request hangs on the doomed instance once the terminal has captured…
    let k = key();
    let hanging = {
        let (base, token, id, k) = (base.clone(), cashier.clone(), id.clone(), k.clone());
        tokio::spawn(async move {
            pay_at(
                &base,
                &token,
                &id,
                &k,
                &json!({ "method": "card", "terminalId": "counter-1",
                                                    "amount": 1500 }),
            )
            .await
        })
    };
    let started = tokio::time::Instant::now();
    while captured_at_terminal(&app).await != 1500 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the terminal captured"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // …and the process is killed there.
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    hanging.abort();
    assert_eq!(app.scalar("select count(*) from payments").await, 0);
    assert_eq!(
        app.scalar("select count(*) from payment_attempts where status = 'pending'")
            .await,
        1,
        "the recovery point survived"
    );

    // The retry on a live instance finds the charge at the terminal and books it.
    let done = app.pay(&cashier, &id, &k, &card(1500)).await.expect(201);
    assert_eq!(done["paid"], 1500);
    app.pay(&cashier, &id, &k, &card(1500)).await.expect(201);
    assert_eq!(app.scalar("select count(*) from payments").await, 1);
    assert_eq!(
        app.scalar("select count(*) from simulator_terminal_charges")
            .await,
        1
    );
    assert_eq!(captured_at_terminal(&app).await, 1500);
    assert_eq!(
        app.scalar("select count(*) from journal_entries where kind = 'payment'")
            .await,
        1
    );
    assert_books(&app).await;
}

#[tokio::test]
async fn card_refunds_and_voids_go_back_to_the_card() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let manager = app.manager().await;
    let order = app
        .order()
        .line("Classic Beef Burger", 6)
        .placed(&cashier)
        .await;
    let id = order["id"].as_str().unwrap();
    let paid = app.pay(&cashier, id, &key(), &card(3000)).await.expect(201);
    let payment = paid["payments"][0]["id"].clone();
    let refund = |token: String, amount: i64| {
        let (base, payment, id) = (app.base.clone(), payment.clone(), id.to_string());
        async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/orders/{id}/refunds"))
                .bearer_auth(token)
                .json(&json!({ "paymentId": payment, "amount": amount, "reason": "cold food" }))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    // Partial.
    let (status, body) = refund(cashier.clone(), 500).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["payments"][0]["refunded"], 500);
    assert_eq!(body["payments"][0]["status"], "partially_refunded");
    // Above 50.00 a cashier needs a manager.
    let (status, _) = refund(cashier.clone(), 6000).await;
    assert_eq!(status, 422);
    // More than is left: refused, nothing sent to the terminal.
    let (status, body) = refund(manager.clone(), 2501).await;
    assert_eq!(status, 422, "{body}");
    // Concurrent refunds of 1000 against the 2500 left: at most two go through.
    let results = futures::future::join_all((0..6).map(|_| refund(manager.clone(), 1000))).await;
    let ok = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(ok, 2, "{results:?}");
    let refunded: i64 = app
        .scalar("select coalesce(sum(amount), 0)::bigint from refunds")
        .await;
    assert_eq!(refunded, 2500);
    assert_eq!(
        app.scalar("select refunded from simulator_terminal_charges")
            .await,
        2500,
        "the terminal gave back exactly what our books say"
    );
    // The rest, in full.
    let (status, body) = refund(manager.clone(), 500).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["payments"][0]["status"], "refunded");
    assert_eq!(
        app.scalar("select refunded from simulator_terminal_charges")
            .await,
        3000
    );
    assert_books(&app).await;

    // Voiding a paid order gives card payments back at the terminal and cash from the drawer.
    let other = app
        .order()
        .line("Classic Beef Burger", 6)
        .placed(&cashier)
        .await;
    let oid = other["id"].as_str().unwrap();
    app.pay(&cashier, oid, &key(), &card(2000))
        .await
        .expect(201);
    app.post(
        &format!("/api/orders/{oid}/payments"),
        Some(&cashier),
        json!({ "method": "cash", "amount": 700 }),
    )
    .await
    .expect(201);
    let voided = app
        .post(
            &format!("/api/orders/{oid}/status"),
            Some(&manager),
            json!({ "status": "voided", "reason": "wrong order" }),
        )
        .await
        .expect(200);
    assert_eq!(voided["refunded"], 2700);
    assert_eq!(
        app.scalar("select refunded from simulator_terminal_charges where amount = 2000")
            .await,
        2000
    );
    assert_books(&app).await;
}
