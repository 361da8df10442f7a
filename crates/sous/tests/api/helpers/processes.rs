//! A real `sous serve` process, with its embedded PostgreSQL or on a test database: for the
//! tests of start-up, shutdown and recovery, which need the built binary rather than the
//! in-process server of [`super::TestApp`].

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{JWT_KEYS, PASSWORD};

/// A real `sous serve` process (the built binary), with its own embedded PostgreSQL in a
/// temporary data dir, serving the API only on a free loopback port. Its stdout is collected;
/// its log goes to `sous.log` in the data dir.
pub struct SousProcess {
    pub child: std::process::Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl SousProcess {
    /// Starts `sous serve --no-web` with `env` on top of the test settings, and waits (bounded)
    /// until `/api/health` answers 200.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("sous-serve-test")
            .tempdir_in("/tmp")
            .unwrap();
        // As root the server runs as `postgres`, which must be able to enter the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("sous.log")).unwrap();
        // `SOUS_BIN` runs another build (the one before a change, to see a test fail there).
        let bin = std::env::var("SOUS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sous").into());
        let mut command = std::process::Command::new(bin);
        command
            .args(["serve", "--no-web"])
            .env_remove("SOUS_DATABASE_URL")
            .env("SOUS_CONFIG", dir.path().join("none.toml"))
            .env("SOUS_LISTEN", format!("127.0.0.1:{port}"))
            .env("SOUS_DATA_DIR", dir.path())
            .env("SOUS_JWT_KEYS", JWT_KEYS)
            .env("SOUS_PIN_PEPPER", "test-pepper")
            .env("SOUS_SEED_DEMO", "false")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(std::process::Stdio::piped())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let pipe = child.stdout.take().unwrap();
        let sink = stdout.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut out = sink.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
        let sous = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap(),
            stdout,
        };
        assert!(
            sous.wait_healthy(std::time::Duration::from_secs(90)).await,
            "sous serve answered /api/health with 200; its log:\n{}",
            sous.log()
        );
        sous
    }

    /// Polls `/api/health` until it answers 200; false after `limit`.
    pub async fn wait_healthy(&self, limit: std::time::Duration) -> bool {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            let health = self
                .client
                .get(format!("{}/api/health", self.base))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sous.log")).unwrap_or_default()
    }

    /// The embedded postmaster's pid, from its `postmaster.pid`, if that process is a live
    /// postgres serving this data dir.
    pub fn postmaster_pid(&self) -> Option<i32> {
        let pg = self.dir.path().join("pg");
        let pid: i32 = std::fs::read_to_string(pg.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let ours = String::from_utf8_lossy(&cmdline).contains(&*pg.to_string_lossy());
        (ours && platform::embedded_pg::pid_alive(nix::unistd::Pid::from_raw(pid))).then_some(pid)
    }

    /// The owner URL of the embedded cluster (the socket is in the cluster directory).
    pub fn owner_url(&self) -> String {
        format!(
            "postgres://sous@localhost/sous?host={}&port=5432",
            self.dir.path().join("pg").display()
        )
    }

    /// A demo login's access token.
    pub async fn token(&self, email: &str) -> String {
        let res = self
            .client
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["accessToken"].as_str().unwrap().to_string()
    }

    /// Sends SIGTERM and waits (bounded by `limit`) for the process to exit; how long it took,
    /// or `None` if it was still running at the limit.
    pub fn terminate(&mut self, limit: std::time::Duration) -> Option<std::time::Duration> {
        use nix::{
            sys::signal::{Signal, kill},
            unistd::Pid,
        };
        let started = std::time::Instant::now();
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        while started.elapsed() < limit {
            if self.child.try_wait().unwrap().is_some() {
                return Some(started.elapsed());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for SousProcess {
    fn drop(&mut self) {
        use nix::{
            sys::signal::{Signal, kill},
            unistd::Pid,
        };
        // A test that stopped the server (SIGSTOP) must not leave it behind, nor its backends.
        if let Some(pid) = self.postmaster_pid() {
            let postmaster = Pid::from_raw(pid);
            for child in platform::embedded_pg::server_processes(postmaster) {
                let _ = kill(child, Signal::SIGKILL);
            }
            let _ = kill(postmaster, Signal::SIGKILL);
        }
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// `sous serve --no-embedded --no-web` on `db`, its own data dir and a free port, with the
/// settings a test gives (`SOUS_*` pairs) on top of the test keys; output is kept for asserts.
pub struct ExternalSous {
    pub child: std::process::Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl ExternalSous {
    pub fn start(db: &platform::testing::TestDb, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_sous"))
            .args(["serve", "--no-embedded", "--no-web"])
            .args(args)
            .env("SOUS_CONFIG", data.path().join("none.toml"))
            .env("SOUS_DATABASE_URL", db.owner_url())
            .env("SOUS_LISTEN", format!("127.0.0.1:{port}"))
            .env("SOUS_DATA_DIR", data.path())
            .env("SOUS_JWT_KEYS", JWT_KEYS)
            .env("SOUS_PIN_PEPPER", "test-pepper")
            .env("SOUS_WORKER_CONCURRENCY", "0")
            .env("SOUS_SCHEDULER", "off")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _data: data,
        }
    }

    /// Waits (bounded) until the health check answers; panics if the process exits first.
    pub async fn healthy(&mut self) {
        let started = tokio::time::Instant::now();
        while reqwest::get(format!("{}/api/health", self.base))
            .await
            .is_err()
        {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("sous exited with {status}: {}", self.stderr());
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "sous started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Waits (bounded) for the process to exit by itself; its exit status.
    pub async fn exited(&mut self) -> std::process::ExitStatus {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "sous exited"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// What the process wrote to stderr (read once it has exited).
    pub fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut out = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut out);
        }
        out
    }
}

impl Drop for ExternalSous {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
