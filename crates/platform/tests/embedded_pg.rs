//! The embedded cluster keeps its data across stops, recovers after the server is killed, and
//! replaces a server left running by a crashed `sous`.

use std::os::unix::fs::PermissionsExt;

use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};
use platform::embedded_pg::{DATABASE, EmbeddedPg, PgInstall};
use sqlx::{Connection, PgConnection};

fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("sous-pg-test")
        .tempdir_in("/tmp")
        .unwrap();
    // As root the server runs as `postgres`, which must be able to enter the directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

async fn conn(pg: &EmbeddedPg) -> PgConnection {
    PgConnection::connect(&pg.url(DATABASE)).await.unwrap()
}

async fn count(pg: &EmbeddedPg) -> i64 {
    let mut c = conn(pg).await;
    sqlx::query_scalar("select count(*) from kept")
        .fetch_one(&mut c)
        .await
        .unwrap()
}

fn alive(pid: u32) -> bool {
    platform::embedded_pg::pid_alive(Pid::from_raw(pid as i32))
}

#[tokio::test]
async fn data_survives_stop_start_and_kill_9() {
    let dir = data_dir();
    let pg_dir = dir.path().join("pg");
    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    let mut c = conn(&pg).await;
    sqlx::query("create table kept (n int)")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("insert into kept select generate_series(1, 100)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let pid = pg.pid().unwrap();
    pg.stop().await.unwrap();
    assert!(!alive(pid), "fast shutdown ended the server");
    assert!(!pg_dir.join("postmaster.pid").exists());

    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    assert_eq!(count(&pg).await, 100);
    let mut c = conn(&pg).await;
    // Committed just before the crash: must survive it.
    sqlx::query("insert into kept values (101)")
        .execute(&mut c)
        .await
        .unwrap();
    drop(c);
    let pid = pg.pid().unwrap();
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
    while alive(pid) {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Backends of the killed postmaster notice it is gone and exit shortly after.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // The handle goes without a stop, as when `sous` itself dies: the cluster lock is released.
    drop(pg);
    assert!(
        pg_dir.join("postmaster.pid").exists(),
        "the crash left a stale pid file"
    );

    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    assert_eq!(count(&pg).await, 101, "crash recovery replayed the WAL");
    pg.stop().await.unwrap();
}

#[tokio::test]
async fn a_server_left_running_by_a_crashed_process_is_replaced() {
    let dir = data_dir();
    let pg_dir = dir.path().join("pg");
    let orphan = EmbeddedPg::start(&pg_dir).await.unwrap();
    let orphan_pid = orphan.pid().unwrap();
    let mut c = conn(&orphan).await;
    sqlx::query("create table kept (n int)")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("insert into kept values (1)")
        .execute(&mut c)
        .await
        .unwrap();
    drop(c);
    // Drop the handle without a stop: the lock is released and the server keeps running, as
    // when `sous` dies and the server outlives it.
    drop(orphan);
    assert!(alive(orphan_pid));

    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    assert!(!alive(orphan_pid), "the leftover server was shut down");
    assert_ne!(pg.pid().unwrap(), orphan_pid);
    assert_eq!(count(&pg).await, 1);
    pg.stop().await.unwrap();
}

#[tokio::test]
async fn pg_cron_is_preloaded_when_installed() {
    let install = PgInstall::find().unwrap();
    assert!(install.major >= 15);
    let dir = data_dir();
    let pg = EmbeddedPg::start(&dir.path().join("pg")).await.unwrap();
    let mut c = conn(&pg).await;
    let preload: String = sqlx::query_scalar("show shared_preload_libraries")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(pg.pg_cron, install.has_pg_cron());
    if pg.pg_cron {
        assert!(preload.contains("pg_cron"));
        sqlx::query("create extension if not exists pg_cron")
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        assert!(!preload.contains("pg_cron"));
    }
    drop(c);
    pg.stop().await.unwrap();
}

#[tokio::test]
async fn a_second_process_attaches_instead_of_stopping_the_running_server() {
    let dir = data_dir();
    let pg_dir = dir.path().join("pg");
    let owner = EmbeddedPg::start(&pg_dir).await.unwrap();
    let pid = owner.pid().unwrap();
    // The lock is per open file description, so a second `start` in this process behaves like
    // another `sous` command on the same data dir.
    let attached = EmbeddedPg::start(&pg_dir).await.unwrap();
    assert!(!attached.is_owner());
    assert!(alive(pid), "the running server was left alone");
    let mut c = conn(&attached).await;
    sqlx::query("select 1").execute(&mut c).await.unwrap();
    drop(c);
    attached.stop().await.unwrap();
    assert!(
        alive(pid),
        "stopping an attached handle does not stop the server"
    );
    owner.stop().await.unwrap();
    assert!(!alive(pid));
}
