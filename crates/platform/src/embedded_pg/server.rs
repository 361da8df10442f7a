//! The server process: how it is started, watched, started again after a crash (when the
//! cluster is supervised), and stopped within a time limit.
//!
//! A task owns the child process for as long as this process runs the cluster. It waits for
//! the server to exit; an exit nobody asked for is a crash (a `kill -9`, the OOM killer, a
//! PANIC). Supervised, the task then starts the server again with a growing back-off (its
//! backends exit by themselves once they notice the postmaster is gone; until they have, a new
//! server refuses to start, and the next try waits longer): PostgreSQL replays its WAL on start, so
//! every committed transaction is there again, and the application's pools reconnect on their
//! own. Unsupervised (short commands, tests that crash a server on purpose), a crash is only
//! logged.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, bail};
use nix::{
    sys::signal::{Signal, kill},
    unistd::{Gid, Pid, Uid},
};
use sqlx::Connection;
use tokio::{
    process::{Child, Command},
    sync::{mpsc, oneshot},
    time::Instant,
};

/// The first wait before a crashed server is started again; it doubles on every failed start
/// up to [`RESTART_BACKOFF_MAX`].
pub const RESTART_BACKOFF_MIN: Duration = Duration::from_millis(100);
pub const RESTART_BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A server that stayed up this long crashed for a new reason: the back-off starts over.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// How long a stop waits for the server to go after SIGKILL (the kernel is quick; this only
/// bounds a process stuck in the kernel).
const REAP_AFTER_KILL: Duration = Duration::from_secs(2);

/// Everything needed to start the server, kept to start it again after a crash.
#[derive(Clone, Debug)]
pub(super) struct Launch {
    pub postgres: PathBuf,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub log: PathBuf,
    pub port: u16,
    pub pg_cron: bool,
    pub database: &'static str,
    pub run_as: Option<(Uid, Gid)>,
}

impl Launch {
    pub fn spawn(&self) -> anyhow::Result<Child> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .context("opening the PostgreSQL log")?;
        let mut cmd = Command::new(&self.postgres);
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.socket_dir.display()
            ))
            .args(["-c", &format!("port={}", self.port)])
            .args(["-c", "unix_socket_permissions=0700"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(false);
        if self.pg_cron {
            // pg_cron runs each job over a libpq connection to `cron.host` (default
            // `localhost`); the cluster listens on its unix socket only, so point it there.
            cmd.args(["-c", "shared_preload_libraries=pg_cron"])
                .args(["-c", &format!("cron.database_name={}", self.database)])
                .arg("-c")
                .arg(format!("cron.host={}", self.socket_dir.display()));
        }
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        // SAFETY: setsid and prctl are async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
            });
        }
        cmd.spawn().context("starting postgres")
    }

    /// The maintenance database over the private socket, as the bootstrap superuser.
    pub fn url(&self) -> String {
        format!(
            "postgres://{}@localhost/postgres?host={}&port={}",
            super::OWNER_ROLE,
            self.socket_dir.display(),
            self.port
        )
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

/// Waits until `child` accepts connections. Fails when it exits first, or after `limit`.
pub(super) async fn wait_ready(
    child: &mut Child,
    launch: &Launch,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    let url = launch.url();
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "postgres exited during start-up ({status}); log tail:\n{}",
                launch.log_tail()
            );
        }
        if let Ok(Ok(conn)) = tokio::time::timeout(
            Duration::from_secs(1),
            sqlx::postgres::PgConnection::connect(&url),
        )
        .await
        {
            let _ = conn.close().await;
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "postgres did not accept connections within {} s; log tail:\n{}",
                limit.as_secs(),
                launch.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How a stop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Fast shutdown: sessions ended, checkpoint written.
    Clean,
    /// Immediate shutdown (SIGQUIT) after the fast one took too long: crash recovery runs on
    /// the next start.
    Immediate,
    /// Killed (SIGKILL to it and its children): it did not react to SIGINT or SIGQUIT in time
    /// (stopped, or stuck on a disk). Crash recovery runs on the next start.
    Killed,
    /// It was not running (it had crashed and was not started again yet).
    NotRunning,
}

/// The running server, watched by its task. Dropping it leaves the server running (as when
/// `sous` dies) and stops watching it.
pub(super) struct Server {
    shared: Arc<Shared>,
    stop: mpsc::Sender<(Instant, oneshot::Sender<Stopped>)>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Shared {
    /// The server's pid; 0 while it is down.
    pid: AtomicU32,
    supervised: AtomicBool,
    restarts: AtomicU64,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Takes over `child`, which has started and accepts connections.
    pub fn watch(child: Child, launch: Launch) -> Self {
        let shared = Arc::new(Shared::default());
        shared.pid.store(child.id().unwrap_or(0), Ordering::Release);
        let (stop, requests) = mpsc::channel(1);
        let task = tokio::spawn(run(child, launch, shared.clone(), requests));
        Self { shared, stop, task }
    }

    pub fn pid(&self) -> Option<u32> {
        Some(self.shared.pid.load(Ordering::Acquire)).filter(|&p| p != 0)
    }

    pub fn supervise(&self) {
        self.shared.supervised.store(true, Ordering::Release);
    }

    /// Times the server was started again after a crash.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Acquire)
    }

    /// Stops the server (and its supervision) by `deadline`, more forcefully as it nears.
    pub async fn stop(self, deadline: Instant) -> Stopped {
        let (reply, answer) = oneshot::channel();
        if self.stop.send((deadline, reply)).await.is_err() {
            return Stopped::NotRunning;
        }
        // The task keeps to the deadline; the margin covers the reaping after SIGKILL.
        match tokio::time::timeout_at(deadline + REAP_AFTER_KILL * 2, answer).await {
            Ok(Ok(stopped)) => stopped,
            _ => Stopped::Killed,
        }
    }
}

type StopRequest = (Instant, oneshot::Sender<Stopped>);

/// The watching task: waits for the server to exit or for a stop request.
async fn run(
    mut child: Child,
    launch: Launch,
    shared: Arc<Shared>,
    mut requests: mpsc::Receiver<StopRequest>,
) {
    let mut backoff = RESTART_BACKOFF_MIN;
    let mut up_since = Instant::now();
    loop {
        tokio::select! {
            status = child.wait() => {
                shared.pid.store(0, Ordering::Release);
                let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                if !shared.supervised.load(Ordering::Acquire) {
                    tracing::error!(%status, "PostgreSQL exited unexpectedly; it is not supervised, so it stays down");
                    answer_stop(&mut requests, Stopped::NotRunning).await;
                    return;
                }
                if up_since.elapsed() >= STABLE_AFTER {
                    backoff = RESTART_BACKOFF_MIN;
                }
                tracing::error!(%status, retry_in = ?backoff,
                    "PostgreSQL exited unexpectedly; starting it again (crash recovery replays its WAL)");
                match restart(&launch, &shared, &mut requests, &mut backoff).await {
                    Some(new) => {
                        child = new;
                        up_since = Instant::now();
                    }
                    // Stopped while it was down or starting.
                    None => return,
                }
            }
            Some((deadline, reply)) = requests.recv() => {
                let stopped = stop_child(&mut child, deadline).await;
                shared.pid.store(0, Ordering::Release);
                let _ = reply.send(stopped);
                return;
            }
        }
    }
}

/// Starts the server again, waiting `backoff` (doubled after each failed start) before each
/// try, until it accepts connections. `None` when a stop request came first (it is answered).
async fn restart(
    launch: &Launch,
    shared: &Shared,
    requests: &mut mpsc::Receiver<StopRequest>,
    backoff: &mut Duration,
) -> Option<Child> {
    loop {
        tokio::select! {
            Some((_, reply)) = requests.recv() => {
                let _ = reply.send(Stopped::NotRunning);
                return None;
            }
            _ = tokio::time::sleep(*backoff) => {}
        }
        let wait = *backoff;
        *backoff = (*backoff * 2).min(RESTART_BACKOFF_MAX);
        if let Err(e) = super::clear_leftover_server(&launch.data_dir).await {
            tracing::error!(error = %e, retry_in = ?*backoff, "PostgreSQL cannot be started again yet");
            continue;
        }
        let mut child = match launch.spawn() {
            Ok(child) => child,
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?*backoff, "starting PostgreSQL again failed");
                continue;
            }
        };
        shared.pid.store(child.id().unwrap_or(0), Ordering::Release);
        // Recovery replays the WAL written since the last checkpoint; give it time.
        let ready = tokio::select! {
            ready = wait_ready(&mut child, launch, Duration::from_secs(300)) => ready,
            Some((deadline, reply)) = requests.recv() => {
                let _ = reply.send(stop_child(&mut child, deadline).await);
                shared.pid.store(0, Ordering::Release);
                return None;
            }
        };
        match ready {
            Ok(()) => {
                shared.restarts.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(pid = child.id(), after = ?wait, "PostgreSQL is accepting connections again");
                return Some(child);
            }
            Err(e) => {
                shared.pid.store(0, Ordering::Release);
                if let Some(pid) = child.id() {
                    kill_server(Pid::from_raw(pid as i32));
                }
                let _ = tokio::time::timeout(REAP_AFTER_KILL, child.wait()).await;
                tracing::error!(error = %e, retry_in = ?*backoff, "PostgreSQL did not come back; trying again");
            }
        }
    }
}

/// Answers the stop request that comes, once the server is down for good.
async fn answer_stop(requests: &mut mpsc::Receiver<StopRequest>, stopped: Stopped) {
    if let Some((_, reply)) = requests.recv().await {
        let _ = reply.send(stopped);
    }
}

/// The postmaster's child processes (backends, background workers). Each runs in a session of
/// its own (PostgreSQL makes every child a group leader), so they are found by their parent.
pub fn server_processes(postmaster: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // "pid (comm) state ppid …"; comm may contain spaces, so read after the last ')'.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|ppid| ppid.parse::<i32>().ok())
                    == Some(postmaster.as_raw())
            })
        })
        .map(Pid::from_raw)
        .collect()
}

/// SIGKILL to the postmaster and its children: a stopped or hung backend would otherwise keep
/// the shared memory, and no new server could start.
fn kill_server(postmaster: Pid) {
    for child in server_processes(postmaster) {
        let _ = kill(child, Signal::SIGKILL);
    }
    let _ = kill(postmaster, Signal::SIGKILL);
}

/// Fast shutdown (SIGINT) first; immediate shutdown (SIGQUIT) for the last few seconds before
/// `deadline`; then SIGKILL to the postmaster and its children, which also ends a stopped server.
async fn stop_child(child: &mut Child, deadline: Instant) -> Stopped {
    let Some(pid) = child.id() else {
        return Stopped::NotRunning;
    };
    let now = Instant::now();
    let total = deadline.saturating_duration_since(now);
    let quit_at = now + total.saturating_sub(Duration::from_secs(3)).max(total / 2);
    let pid = Pid::from_raw(pid as i32);
    let _ = kill(pid, Signal::SIGINT);
    if tokio::time::timeout_at(quit_at, child.wait()).await.is_ok() {
        return Stopped::Clean;
    }
    tracing::error!(limit = ?total, "PostgreSQL did not finish its fast shutdown in time; sending SIGQUIT");
    let _ = kill(pid, Signal::SIGQUIT);
    if tokio::time::timeout_at(deadline, child.wait())
        .await
        .is_ok()
    {
        return Stopped::Immediate;
    }
    tracing::error!("PostgreSQL did not react to SIGQUIT; killing it and its children");
    kill_server(pid);
    if tokio::time::timeout(REAP_AFTER_KILL, child.wait())
        .await
        .is_err()
    {
        tracing::error!(%pid, "PostgreSQL is still there after SIGKILL; leaving it");
    }
    Stopped::Killed
}
