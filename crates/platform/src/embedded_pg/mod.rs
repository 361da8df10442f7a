//! An embedded PostgreSQL cluster for the default set-up: found on this machine, initialised on
//! first start, run as a child process on a private unix socket, stopped with a fast shutdown.
//!
//! As root, the server runs as the `postgres` system user because `initdb` and `postgres` refuse
//! to run as root. The child gets `PR_SET_PDEATHSIG`, so a `kill -9` of `sous` does not leave an
//! orphan server behind, and its own session, so a Ctrl-C in the terminal reaches only `sous`,
//! which drains requests before it stops the server.
//!
//! The process that runs the cluster watches it: when supervised (`sous serve`, `sous worker`), a
//! server that dies is started again with a back-off ([`server`]). A stop is bounded: fast
//! shutdown, then immediate, then SIGKILL. As root, a cluster the `postgres` user cannot reach
//! where it is configured lives under `/var/lib/sous` instead ([`location`]).
//!
//! The `sous` process that runs the cluster holds an exclusive lock on `<data dir>.lock`. Another
//! `sous` command on the same data dir (`migrate`, `seed`, a second `serve`) finds the lock taken
//! and attaches to the running server instead of starting one. A process that gets the lock and
//! still finds a live server knows it is a leftover of a crashed `sous`, and stops it first.

pub mod location;
mod server;

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use nix::{
    errno::Errno,
    fcntl::{Flock, FlockArg},
    sys::signal::{Signal, kill},
    unistd::{Pid, User, geteuid},
};
use sqlx::Connection;
use tokio::process::Command;

use server::{Launch, Server};
pub use server::{RESTART_BACKOFF_MAX, RESTART_BACKOFF_MIN, Stopped, server_processes};

/// The bootstrap superuser of an embedded cluster; it owns the schema and runs migrations.
pub const OWNER_ROLE: &str = "sous";
/// The database the application uses inside an embedded cluster.
pub const DATABASE: &str = "sous";
/// The socket's port number (there is no TCP listener; the number only names the socket).
pub const PORT: u16 = 5432;
const MIN_MAJOR: u32 = 15;

/// A PostgreSQL installation: its `bin` directory and major version.
#[derive(Clone, Debug)]
pub struct PgInstall {
    pub bin_dir: PathBuf,
    pub major: u32,
    pub version: String,
}

impl PgInstall {
    /// Finds the newest installation (major ≥ 15) on `PATH`, via `pg_config --bindir`, or under
    /// `/usr/lib/postgresql/*/bin`.
    pub fn find() -> anyhow::Result<Self> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path));
        }
        if let Ok(out) = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
            && out.status.success()
        {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
        if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
            candidates.extend(entries.flatten().map(|e| e.path().join("bin")));
        }
        candidates
            .into_iter()
            .filter(|dir| dir.join("postgres").is_file() && dir.join("initdb").is_file())
            .filter_map(|dir| Self::probe(&dir).ok())
            .filter(|i| i.major >= MIN_MAJOR)
            .max_by_key(|i| i.major)
            .with_context(|| {
                format!(
                    "no PostgreSQL server ≥ {MIN_MAJOR} found (looked on PATH, pg_config, \
                     /usr/lib/postgresql/*/bin); install it, e.g. `apt-get install postgresql`"
                )
            })
    }

    fn probe(dir: &Path) -> anyhow::Result<Self> {
        let out = std::process::Command::new(dir.join("postgres"))
            .arg("--version")
            .output()?;
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let version = text
            .split_whitespace()
            .nth(2)
            .context("unexpected postgres --version output")?
            .to_string();
        let major = version
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|m| m.parse().ok())
            .context("unparsable version")?;
        Ok(Self {
            bin_dir: dir.to_path_buf(),
            major,
            version,
        })
    }

    fn pg_config(&self, flag: &str) -> Option<PathBuf> {
        let out = std::process::Command::new(self.bin_dir.join("pg_config"))
            .arg(flag)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    }

    /// Whether the `pg_cron` extension (library and control file) is installed for this server.
    pub fn has_pg_cron(&self) -> bool {
        let share = self
            .pg_config("--sharedir")
            .unwrap_or_else(|| PathBuf::from(format!("/usr/share/postgresql/{}", self.major)));
        let lib = self
            .pg_config("--pkglibdir")
            .unwrap_or_else(|| PathBuf::from(format!("/usr/lib/postgresql/{}/lib", self.major)));
        share.join("extension/pg_cron.control").is_file() && lib.join("pg_cron.so").is_file()
    }
}

/// How `start` treats a cluster that another `sous` process already runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Use it (short commands: `migrate`, `seed`, `doctor`-like tools, tests).
    AttachOrStart,
    /// Wait up to 30 s for it to stop, then run it ourselves (`serve`, which must not lose its
    /// database when a short command that started it exits).
    Own,
}

/// How long a plain [`EmbeddedPg::stop`] gives the server.
pub const STOP_LIMIT: Duration = Duration::from_secs(60);

/// A running embedded cluster, started by this process or attached to.
pub struct EmbeddedPg {
    install: PgInstall,
    /// Where the cluster is configured (its lock and log are named after it).
    configured: PathBuf,
    /// Where the cluster's files are: `configured`, or a directory it links to ([`location`]).
    data_dir: PathBuf,
    socket_dir: PathBuf,
    /// `None` when attached to a server another `sous` process runs.
    server: Option<Server>,
    _lock: Option<Flock<std::fs::File>>,
    pub pg_cron: bool,
}

/// The system user the server runs as when we are root.
fn postgres_user() -> anyhow::Result<Option<User>> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")?
        .context("running as root needs a `postgres` system user (apt-get install postgresql)")?;
    Ok(Some(user))
}

fn chown_tree(path: &Path, user: &User) -> anyhow::Result<()> {
    nix::unistd::chown(path, Some(user.uid), Some(user.gid))
        .with_context(|| format!("chown {}", path.display()))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let p = entry?.path();
            if !p.is_symlink() {
                chown_tree(&p, user)?;
            }
        }
    }
    Ok(())
}

/// The unix socket path is limited to ~107 bytes; long data dirs get a socket dir under /tmp.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    if data_dir.as_os_str().len() + 20 < 100 {
        return data_dir.to_path_buf();
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut h);
    std::env::temp_dir().join(format!("sous-pg-{:x}", h.finish()))
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    })
}

/// The process whose pid `postmaster.pid` names, if it is a live postgres serving `data_dir`.
fn running_postmaster(data_dir: &Path) -> Option<Pid> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let mut lines = text.lines();
    let pid: i32 = lines.next()?.trim().parse().ok()?;
    let dir = lines.next()?.trim();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    (cmdline.contains("postgres") && Path::new(dir) == data_dir).then(|| Pid::from_raw(pid))
}

/// Alive and not a zombie (an exited child not yet reaped by its parent counts as gone).
pub fn pid_alive(pid: Pid) -> bool {
    if kill(pid, None).is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Format: "pid (comm) state …"; comm may contain spaces, so read after the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state != "Z"),
        Err(_) => false,
    }
}

impl EmbeddedPg {
    /// Initialises (first start) and starts the cluster in `data_dir`, then makes sure the
    /// application database exists.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Self> {
        Self::start_with(data_dir, Mode::AttachOrStart).await
    }

    pub async fn start_with(data_dir: &Path, mode: Mode) -> anyhow::Result<Self> {
        let install = PgInstall::find()?;
        let configured = absolute(data_dir)?;
        let run_as = postgres_user()?;
        if let Some(parent) = configured.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let lock = Self::lock(&configured, mode).await?;
        let data_dir = location::cluster_dir(&configured, run_as.as_ref())?;
        let socket_dir = socket_dir_for(&data_dir);
        let mut pg = Self {
            pg_cron: install.has_pg_cron(),
            install,
            configured,
            data_dir,
            socket_dir,
            server: None,
            _lock: None,
        };
        let Some(lock) = lock else {
            tracing::info!("the cluster is run by another sous process; attaching to it");
            pg.wait_attached().await?;
            return Ok(pg);
        };
        pg._lock = Some(lock);

        if !pg.data_dir.join("PG_VERSION").is_file() {
            Self::initdb(&pg.install, &pg.data_dir, run_as.as_ref()).await?;
        } else if let Some(user) = &run_as {
            // A data dir copied or restored by root must belong to the server's user again.
            chown_tree(&pg.data_dir, user)?;
        }
        if pg.socket_dir != pg.data_dir {
            std::fs::create_dir_all(&pg.socket_dir)?;
            std::fs::set_permissions(&pg.socket_dir, std::fs::Permissions::from_mode(0o700))?;
            if let Some(user) = &run_as {
                chown_tree(&pg.socket_dir, user)?;
            }
        }
        clear_leftover_server(&pg.data_dir).await?;

        if !pg.pg_cron {
            tracing::warn!(
                "pg_cron is not installed; sous will schedule periodic jobs itself \
                 (apt-get install postgresql-{}-cron to use pg_cron)",
                pg.install.major
            );
        }
        let launch = pg.launch(run_as.as_ref());
        let mut child = launch.spawn()?;
        server::wait_ready(&mut child, &launch, Duration::from_secs(60)).await?;
        pg.server = Some(Server::watch(child, launch));
        pg.ensure_database(DATABASE).await?;
        Ok(pg)
    }

    fn launch(&self, run_as: Option<&User>) -> Launch {
        Launch {
            postgres: self.install.bin_dir.join("postgres"),
            data_dir: self.data_dir.clone(),
            socket_dir: self.socket_dir.clone(),
            log: self.configured.with_extension("log"),
            port: PORT,
            pg_cron: self.pg_cron,
            database: DATABASE,
            run_as: run_as.map(|u| (u.uid, u.gid)),
        }
    }

    /// Takes the cluster lock; `None` means another process holds it and `mode` allows attaching.
    async fn lock(data_dir: &Path, mode: Mode) -> anyhow::Result<Option<Flock<std::fs::File>>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(data_dir.with_extension("lock"))
                .context("opening the cluster lock")?;
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(lock) => return Ok(Some(lock)),
                Err((_, Errno::EWOULDBLOCK)) if mode == Mode::AttachOrStart => return Ok(None),
                Err((_, Errno::EWOULDBLOCK)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err((_, Errno::EWOULDBLOCK)) => bail!(
                    "another sous process runs the cluster in {}; stop it first",
                    data_dir.display()
                ),
                Err((_, e)) => return Err(e).context("locking the cluster"),
            }
        }
    }

    async fn initdb(
        install: &PgInstall,
        data_dir: &Path,
        run_as: Option<&User>,
    ) -> anyhow::Result<()> {
        tracing::info!(dir = %data_dir.display(), version = %install.version, "initialising PostgreSQL cluster");
        std::fs::create_dir_all(data_dir)?;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
        if let Some(user) = run_as {
            chown_tree(data_dir, user)?;
            // initdb runs as `postgres`, which must be able to reach the directory.
            let mut p = data_dir.parent();
            while let Some(dir) = p {
                let mode = std::fs::metadata(dir)?.permissions().mode();
                if mode & 0o001 == 0 {
                    bail!(
                        "the `postgres` user cannot reach {} (mode {:o}); put the data dir \
                         elsewhere with SOUS_DATA_DIR or `chmod o+x` that directory",
                        dir.display(),
                        mode & 0o777
                    );
                }
                p = dir.parent();
            }
        }
        let mut cmd = Command::new(install.bin_dir.join("initdb"));
        cmd.arg("-D")
            .arg(data_dir)
            .args(["-U", OWNER_ROLE, "--encoding=UTF8", "--locale=C.UTF-8"])
            .args(["--auth-local=trust", "--auth-host=reject"])
            .stdin(Stdio::null());
        if let Some(user) = run_as {
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        let out = cmd.output().await.context("running initdb")?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(data_dir);
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }
}

/// Called with the cluster lock held, so a live server is a leftover of a crashed `sous`:
/// it is shut down (fast, so it checkpoints). A `postmaster.pid` whose process is gone, or
/// whose pid now belongs to an unrelated process, is removed; PostgreSQL then recovers
/// from its WAL as after any crash.
async fn clear_leftover_server(data_dir: &Path) -> anyhow::Result<()> {
    let pid_file = data_dir.join("postmaster.pid");
    if !pid_file.exists() {
        return Ok(());
    }
    match running_postmaster(data_dir) {
        Some(pid) => {
            tracing::warn!(%pid, "a PostgreSQL server from an earlier run is still up; stopping it");
            let _ = kill(pid, Signal::SIGINT);
            let deadline = Instant::now() + Duration::from_secs(60);
            while pid_alive(pid) {
                if Instant::now() > deadline {
                    bail!("PostgreSQL (pid {pid}) from an earlier run does not stop");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        None => {
            tracing::warn!("removing the stale postmaster.pid of a crashed server");
            std::fs::remove_file(&pid_file)?;
        }
    }
    Ok(())
}

impl EmbeddedPg {
    /// Waits for the socket of a server another process runs (it may be starting).
    async fn wait_attached(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = self.url("postgres");
        loop {
            if let Ok(conn) = sqlx::postgres::PgConnection::connect(&url).await {
                let _ = conn.close().await;
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the PostgreSQL server another sous runs did not accept connections within \
                     60 s (its log: {})",
                    self.configured.with_extension("log").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Creates `name` (owned by the bootstrap superuser) if it does not exist.
    pub async fn ensure_database(&self, name: &str) -> anyhow::Result<()> {
        let mut conn = sqlx::postgres::PgConnection::connect(&self.url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            sqlx::query(&format!("create database \"{name}\""))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await?;
        Ok(())
    }

    /// Connection URL for `database` as the owner role, over the private socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{OWNER_ROLE}@localhost/{database}?host={}&port={PORT}",
            self.socket_dir.display()
        )
    }

    pub fn install(&self) -> &PgInstall {
        &self.install
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where the cluster was configured; the same as [`Self::data_dir`] unless it had to live
    /// elsewhere ([`location`]).
    pub fn configured_dir(&self) -> &Path {
        &self.configured
    }

    /// The server's pid when this process runs it (`None` while a crashed server is down).
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().and_then(Server::pid)
    }

    /// Whether this process runs the server (rather than attached to another's).
    pub fn is_owner(&self) -> bool {
        self.server.is_some()
    }

    /// From now on, a server that exits without being asked to is started again, with a
    /// back-off from [`RESTART_BACKOFF_MIN`] doubling up to [`RESTART_BACKOFF_MAX`]. Nothing
    /// for an attached handle: the process that runs the server watches it.
    pub fn supervise(&self) {
        if let Some(server) = &self.server {
            server.supervise();
        }
    }

    /// Times the server was started again after a crash.
    pub fn restarts(&self) -> u64 {
        self.server.as_ref().map_or(0, Server::restarts)
    }

    /// Stops the server within [`STOP_LIMIT`] ([`Self::stop_within`]).
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop_within(STOP_LIMIT).await;
        Ok(())
    }

    /// Fast shutdown (sessions are ended, a checkpoint is written) for all but the last few
    /// seconds of `limit`, then immediate shutdown, then SIGKILL: the server is gone when this
    /// returns, however it was doing. An attached handle leaves the server to the process that
    /// runs it.
    pub async fn stop_within(mut self, limit: Duration) -> Stopped {
        let Some(server) = self.server.take() else {
            return Stopped::NotRunning;
        };
        server.stop(tokio::time::Instant::now() + limit).await
    }
}
