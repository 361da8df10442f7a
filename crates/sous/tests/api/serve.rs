//! The real `sous serve` with its embedded PostgreSQL: the server is started again after a
//! `kill -9` with no acknowledged write lost, a shutdown ends within `shutdown_timeout` even
//! with the database hanging, and the start-up output's QR URL names a real table.

use std::time::{Duration, Instant};

use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;

use crate::helpers::{SousProcess, branch_body};

const OWNER: &str = "owner@demo.sous.test";

/// `GET`s `path` until it answers something other than a 5xx (a pooled connection that the
/// crash broke fails its one statement, then is replaced), within ten tries.
async fn get_settled(sous: &SousProcess, path: &str, token: &str) -> (StatusCode, Value) {
    for _ in 0..10 {
        let res = sous
            .client
            .get(format!("{}{path}", sous.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        if !res.status().is_server_error() {
            let status = res.status();
            return (status, res.json().await.unwrap_or(Value::Null));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("GET {path} kept failing after the restart");
}

async fn create_branch(sous: &SousProcess, token: &str, name: &str) -> reqwest::Response {
    sous.client
        .post(format!("{}/api/branches", sous.base))
        .bearer_auth(token)
        .json(&branch_body(name))
        .send()
        .await
        .unwrap()
}

/// Connections of the process's own background parts, by application name.
async fn connected(sous: &SousProcess, name: &str) -> i64 {
    let Ok(mut conn) = sqlx::PgConnection::connect(&sous.owner_url()).await else {
        return 0;
    };
    let n = sqlx::query_scalar("select count(*) from pg_stat_activity where application_name = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap_or(0);
    let _ = conn.close().await;
    n
}

#[tokio::test]
async fn a_killed_embedded_postgres_is_started_again_and_keeps_every_acknowledged_write() {
    let mut sous = SousProcess::start(&[("SOUS_SEED_DEMO", "true")]).await;
    let token = sous.token(OWNER).await;
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let res = create_branch(&sous, &token, &format!("Before the crash {i}")).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        acknowledged.push(body["id"].as_str().unwrap().to_string());
    }

    let crashed = sous.postmaster_pid().expect("the embedded server runs");
    kill(Pid::from_raw(crashed), Signal::SIGKILL).unwrap();
    // Back within seconds: a new postmaster, and the API healthy on it.
    let started = Instant::now();
    loop {
        let restarted = sous.postmaster_pid().is_some_and(|pid| pid != crashed);
        if restarted && sous.wait_healthy(Duration::from_millis(500)).await {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server was started again; log:\n{}",
            sous.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "back in {:?}",
        started.elapsed()
    );

    let (status, branches) = get_settled(&sous, "/api/branches", &token).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = branches
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    for id in &acknowledged {
        assert!(ids.contains(&id.as_str()), "acknowledged branch {id} kept");
    }
    let res = create_branch(&sous, &token, "After the crash").await;
    assert_eq!(res.status(), StatusCode::CREATED, "new writes work");

    // The event listener and the task worker are connected again.
    let started = Instant::now();
    while connected(&sous, "sous-events-listener").await == 0
        || connected(&sous, "sous-worker").await == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the listener and the worker reconnected; log:\n{}",
            sous.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        sous.log()
            .contains("PostgreSQL is accepting connections again")
    );
    assert!(
        sous.terminate(Duration::from_secs(40)).is_some(),
        "stopped after the recovery"
    );
}

#[tokio::test]
async fn shutdown_ends_within_the_bound_while_the_database_hangs() {
    let mut sous = SousProcess::start(&[("SOUS_SHUTDOWN_TIMEOUT", "6")]).await;
    let pg = sous.postmaster_pid().expect("the embedded server runs");
    // The whole server hangs (the postmaster and every backend): every query and every new
    // connection waits for ever.
    let postmaster = Pid::from_raw(pg);
    let backends = platform::embedded_pg::server_processes(postmaster);
    for p in backends.iter().chain([&postmaster]) {
        kill(*p, Signal::SIGSTOP).unwrap();
    }
    // Requests in flight that wait on it.
    let hanging: Vec<_> = (0..3)
        .map(|_| {
            let url = format!("{}/api/health", sous.base);
            tokio::spawn(async move { reqwest::get(url).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let took = sous.terminate(Duration::from_secs(20));
    let log = sous.log();
    let took = took.unwrap_or_else(|| panic!("sous did not exit within 20 s; log:\n{log}"));
    assert!(
        took < Duration::from_secs(9),
        "exited in {took:?} (bound 6 s); log:\n{log}"
    );
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("killed"), "says the server was killed: {log}");
    // The stopped server did not outlive the bound either, nor its stopped backends.
    let started = Instant::now();
    while sous.postmaster_pid().is_some()
        || backends
            .iter()
            .any(|&b| platform::embedded_pg::pid_alive(b))
    {
        assert!(started.elapsed() < Duration::from_secs(5), "postgres gone");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for h in hanging {
        h.abort();
    }
}

/// The database killed, and SIGTERM before it is back (sous is restarting it, or waiting to).
#[tokio::test]
async fn shutdown_ends_within_the_bound_while_the_database_is_down() {
    let mut sous = SousProcess::start(&[("SOUS_SHUTDOWN_TIMEOUT", "6")]).await;
    let pg = sous.postmaster_pid().expect("the embedded server runs");
    kill(Pid::from_raw(pg), Signal::SIGKILL).unwrap();
    // SIGTERM once sous has noticed (its health check fails), or has already started the
    // server again.
    let started = Instant::now();
    while sous.postmaster_pid().is_none_or(|pid| pid == pg) {
        let health = sous
            .client
            .get(format!("{}/api/health", sous.base))
            .send()
            .await
            .unwrap();
        if health.status() == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "health noticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = sous.terminate(Duration::from_secs(20));
    let log = sous.log();
    let took = took.unwrap_or_else(|| panic!("sous did not exit within 20 s; log:\n{log}"));
    assert!(
        took < Duration::from_secs(9),
        "exited in {took:?} (bound 6 s); log:\n{log}"
    );
    let started = Instant::now();
    while sous.postmaster_pid().is_some() {
        assert!(started.elapsed() < Duration::from_secs(5), "postgres gone");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_start_up_output_names_a_real_qr_table() {
    let mut sous = SousProcess::start(&[("SOUS_SEED_DEMO", "true")]).await;
    let started = Instant::now();
    let url = loop {
        let out = sous.stdout();
        let found = out
            .lines()
            .filter(|l| l.trim_start().starts_with("QR table"))
            .find_map(|l| l.split_whitespace().find(|w| w.contains("/en/t/")))
            .map(str::to_string);
        if let Some(url) = found {
            break url;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a QR table URL in the output:\n{out}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let token = url.rsplit('/').next().unwrap();
    assert!(
        !token.contains('<'),
        "a real token, not a placeholder: {url}"
    );
    assert!(url.starts_with(&sous.base), "{url}");
    // The page's data: the table the token opens.
    let res = sous
        .client
        .get(format!("{}/api/tables/{token}", sous.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url} opens a table");
    let table: Value = res.json().await.unwrap();
    assert!(sous.stdout().contains(&format!(
        "QR table {}",
        table["table"]["label"].as_str().unwrap()
    )));
    assert!(sous.terminate(Duration::from_secs(40)).is_some());
}
