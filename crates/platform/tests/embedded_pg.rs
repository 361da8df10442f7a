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

#[tokio::test]
async fn a_supervised_server_killed_with_sigkill_is_started_again_with_its_data() {
    let dir = data_dir();
    let pg = EmbeddedPg::start(&dir.path().join("pg")).await.unwrap();
    pg.supervise();
    let mut c = conn(&pg).await;
    sqlx::query("create table kept (n int)")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("insert into kept select generate_series(1, 10)")
        .execute(&mut c)
        .await
        .unwrap();
    drop(c);
    let crashed = pg.pid().unwrap();
    kill(Pid::from_raw(crashed as i32), Signal::SIGKILL).unwrap();
    let started = std::time::Instant::now();
    let back = loop {
        if let Some(pid) = pg.pid().filter(|&p| p != crashed)
            && let Ok(mut c) = PgConnection::connect(&pg.url(DATABASE)).await
        {
            let n: Result<i64, _> = sqlx::query_scalar("select count(*) from kept")
                .fetch_one(&mut c)
                .await;
            if let Ok(n) = n {
                break (pid, n);
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the server was started again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(back.1, 10, "crash recovery kept the committed rows");
    assert!(!alive(crashed));
    // The supervisor counts the restart once it has seen the new server accept connections,
    // which may be a moment after this test could connect to it.
    let counted = std::time::Instant::now();
    while pg.restarts() == 0 {
        assert!(
            counted.elapsed() < std::time::Duration::from_secs(10),
            "the restart is counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(pg.restarts(), 1);
    pg.stop().await.unwrap();
    assert!(
        !alive(back.0),
        "the restarted server is stopped like the first"
    );
}

#[tokio::test]
async fn a_stopped_server_is_killed_when_it_ignores_the_shutdown() {
    let dir = data_dir();
    let pg = EmbeddedPg::start(&dir.path().join("pg")).await.unwrap();
    pg.supervise();
    let pid = pg.pid().unwrap();
    // The postmaster and every child process (each in a session of its own) stop.
    let postmaster = Pid::from_raw(pid as i32);
    let children = platform::embedded_pg::server_processes(postmaster);
    assert!(!children.is_empty(), "a server has background processes");
    kill(postmaster, Signal::SIGSTOP).unwrap();
    // A child listed a moment ago may have exited since (a backend that ended its work): it
    // needs no stopping, and only the ones that were stopped are waited for below.
    let children: Vec<Pid> = children
        .into_iter()
        .filter(|p| match kill(*p, Signal::SIGSTOP) {
            Ok(()) => true,
            Err(nix::errno::Errno::ESRCH) => false,
            Err(e) => panic!("stopping {p}: {e}"),
        })
        .collect();
    let started = std::time::Instant::now();
    let stopped = pg.stop_within(std::time::Duration::from_secs(2)).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(stopped, platform::embedded_pg::Stopped::Killed);
    assert!(!alive(pid));
    for child in children {
        let started = std::time::Instant::now();
        while platform::embedded_pg::pid_alive(child) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "the stopped children were killed too"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// As root, a data dir the `postgres` user cannot reach (a checkout in `/root`, mode 0700) gets
/// its cluster under `/var/lib/sous`, linked from the configured path, and keeps it there.
#[tokio::test]
async fn as_root_an_unreachable_data_dir_gets_its_cluster_where_postgres_can_reach_it() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("not root: the server runs as this user, who can reach its own directories");
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("sous-pg-private")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let pg_dir = dir.path().join("checkout/.data/pg");
    let expected = platform::embedded_pg::location::relocated_dir(&pg_dir);
    struct Remove(std::path::PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Remove(expected.clone());

    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    assert_eq!(pg.data_dir(), expected);
    assert_eq!(std::fs::read_link(&pg_dir).unwrap(), expected);
    let mut c = conn(&pg).await;
    sqlx::query("create table kept (n int)")
        .execute(&mut c)
        .await
        .unwrap();
    drop(c);
    pg.stop().await.unwrap();

    // The next start follows the link to the same cluster.
    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    assert_eq!(pg.data_dir(), expected);
    assert_eq!(count(&pg).await, 0);
    pg.stop().await.unwrap();
}
