//! The real release `sous` as a child process, configured only through its environment, the way
//! an operator runs it: against the benchmark cluster, on a free loopback port, quiet logs.

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::Empty;
use hyper::{Request, StatusCode, header::HOST};
use hyper_util::rt::TokioIo;
use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};
use tokio::{
    net::TcpStream,
    process::{Child, Command},
};

use crate::cluster::BenchCluster;

/// How long `sous` may take to answer its first health check before the run is abandoned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Each readiness probe gives up after this, so one stuck attempt cannot skew a cold start much.
const PROBE_TIMEOUT: Duration = Duration::from_millis(200);
/// Pause between probes: fine enough to resolve a cold start of a few milliseconds.
const PROBE_INTERVAL: Duration = Duration::from_millis(1);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Launcher {
    bin: PathBuf,
    database_url: String,
    data_dir: PathBuf,
    scratch: PathBuf,
}

/// A running `sous serve`. Killed (SIGKILL) if dropped without `stop`, so an error anywhere in
/// the run leaves no server behind.
pub struct SousServer {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Launcher {
    pub fn new(bin: &Path, cluster: &BenchCluster) -> Self {
        Self {
            bin: bin.to_path_buf(),
            database_url: cluster.owner_url(),
            data_dir: cluster.data_dir().to_path_buf(),
            scratch: cluster.scratch().to_path_buf(),
        }
    }

    /// Starts `sous serve` and returns once it is up, with the time from spawn to the first 200.
    pub async fn start_timed(&self) -> anyhow::Result<(SousServer, Duration)> {
        self.start_timed_with(&[]).await
    }

    /// [`Self::start_timed`] with settings of a scenario's own (`SOUS_*` variables), set last.
    pub async fn start_timed_with(
        &self,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(SousServer, Duration)> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let log = self.scratch.join(format!("sous-{}.log", addr.port()));
        let mut cmd = Command::new(&self.bin);
        // A stray sous.toml or SOUS_* variable of the caller must not change what is measured.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SOUS_") {
                cmd.env_remove(key);
            }
        }
        cmd.args(["serve", "--no-embedded", "--demo"])
            .current_dir(&self.scratch)
            .env("SOUS_DATABASE_URL", &self.database_url)
            .env("SOUS_LISTEN", addr.to_string())
            .env("SOUS_DATA_DIR", &self.data_dir)
            // The login scenario sends thousands of attempts for one address and email.
            .env("SOUS_RATE_LIMITS__LOGIN_PER_MINUTE", "100000000")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true);

        let began = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let mut server = SousServer { child, addr, log };
        let ready = server.wait_healthy(began).await?;
        Ok((server, ready))
    }

    pub async fn start(&self) -> anyhow::Result<SousServer> {
        Ok(self.start_timed().await?.0)
    }

    pub async fn start_with(&self, env: &[(&str, &str)]) -> anyhow::Result<SousServer> {
        Ok(self.start_timed_with(env).await?.0)
    }
}

impl SousServer {
    /// Polls `/api/health` until it answers 200; the time since `began`.
    async fn wait_healthy(&mut self, began: Instant) -> anyhow::Result<Duration> {
        loop {
            if let Ok(Ok(StatusCode::OK)) =
                tokio::time::timeout(PROBE_TIMEOUT, probe(self.addr)).await
            {
                return Ok(began.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                let log = self.log_tail();
                // The harness migrates with the migrations compiled into it; a `sous` built
                // from another tree disagrees about them and refuses to start.
                let hint = if log.contains("previously applied but") {
                    "\n(target/release/sous and the bench were built from different \
                     migrations: rebuild both, e.g. with `make bench`)"
                } else {
                    ""
                };
                bail!("sous exited during start-up ({status}):\n{log}{hint}");
            }
            if began.elapsed() > START_TIMEOUT {
                bail!(
                    "sous did not answer /api/health within {START_TIMEOUT:?}:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }

    /// The server's process id (for reading its memory from `/proc`).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM, as a service manager would send, and wait for the graceful exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().context("sous has already been reaped")?;
        kill(Pid::from_raw(pid as i32), Signal::SIGTERM)?;
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                // SIGTERM is a normal stop: sous drains and exits 0.
                if !status.success() {
                    bail!("sous exited with {status} on SIGTERM:\n{}", self.log_tail());
                }
                Ok(())
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("sous did not stop within {STOP_TIMEOUT:?} of SIGTERM");
            }
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// One readiness probe on a fresh connection: refused fast while the port is not bound yet.
async fn probe(addr: SocketAddr) -> anyhow::Result<StatusCode> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn);
    let request = Request::get("/api/health")
        .header(HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let status = sender.send_request(request).await?.status();
    conn.abort();
    Ok(status)
}

/// A port nobody listens on right now. The kernel picks it; it is released for `sous` to bind,
/// and the kernel does not hand the same ephemeral port out again straight away.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}
