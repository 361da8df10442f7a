//! An embedded PostgreSQL cluster for the default set-up: found on this machine, initialised on
//! first start, run as a child process on a private unix socket, stopped with a fast shutdown.
//!
//! As root, the server runs as the `postgres` system user because `initdb` and `postgres` refuse
//! to run as root. The child gets `PR_SET_PDEATHSIG`, so a `kill -9` of `sous` does not leave an
//! orphan server behind, and its own session, so a Ctrl-C in the terminal reaches only `sous`,
//! which drains requests before it stops the server.
//!
//! The `sous` process that runs the cluster holds an exclusive lock on `<data dir>.lock`. Another
//! `sous` command on the same data dir (`migrate`, `seed`, a second `serve`) finds the lock taken
//! and attaches to the running server instead of starting one. A process that gets the lock and
//! still finds a live server knows it is a leftover of a crashed `sous`, and stops it first.

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
use tokio::process::{Child, Command};

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

/// A running embedded cluster, started by this process or attached to.
pub struct EmbeddedPg {
    install: PgInstall,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    /// `None` when attached to a server another `sous` process runs.
    child: Option<Child>,
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
        let data_dir = absolute(data_dir)?;
        let run_as = postgres_user()?;
        let socket_dir = socket_dir_for(&data_dir);
        if let Some(parent) = data_dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let lock = match Self::lock(&data_dir, mode).await? {
            Some(lock) => lock,
            None => {
                tracing::info!("the cluster is run by another sous process; attaching to it");
                let mut pg = Self {
                    pg_cron: install.has_pg_cron(),
                    install,
                    data_dir,
                    socket_dir,
                    child: None,
                    _lock: None,
                };
                pg.wait_ready().await?;
                return Ok(pg);
            }
        };

        if !data_dir.join("PG_VERSION").is_file() {
            Self::initdb(&install, &data_dir, run_as.as_ref()).await?;
        } else if let Some(user) = &run_as {
            // A data dir copied or restored by root must belong to the server's user again.
            chown_tree(&data_dir, user)?;
        }
        if socket_dir != data_dir {
            std::fs::create_dir_all(&socket_dir)?;
            std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o700))?;
            if let Some(user) = &run_as {
                chown_tree(&socket_dir, user)?;
            }
        }
        Self::clear_leftover_server(&data_dir).await?;

        let pg_cron = install.has_pg_cron();
        if !pg_cron {
            tracing::warn!(
                "pg_cron is not installed; sous will schedule periodic jobs itself \
                 (apt-get install postgresql-{}-cron to use pg_cron)",
                install.major
            );
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.with_extension("log"))
            .context("opening the PostgreSQL log")?;
        let mut cmd = Command::new(install.bin_dir.join("postgres"));
        cmd.arg("-D")
            .arg(&data_dir)
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .args(["-c", &format!("port={PORT}")])
            .args(["-c", "unix_socket_permissions=0700"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(false);
        if pg_cron {
            // pg_cron runs each job over a libpq connection to `cron.host` (default
            // `localhost`); the cluster listens on its unix socket only, so point it there.
            cmd.args(["-c", "shared_preload_libraries=pg_cron"])
                .args(["-c", &format!("cron.database_name={DATABASE}")])
                .arg("-c")
                .arg(format!("cron.host={}", socket_dir.display()));
        }
        if let Some(user) = &run_as {
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        // SAFETY: setsid and prctl are async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
            });
        }
        let child = cmd.spawn().context("starting postgres")?;
        let mut pg = Self {
            install,
            data_dir,
            socket_dir,
            child: Some(child),
            _lock: Some(lock),
            pg_cron,
        };
        pg.wait_ready().await?;
        pg.ensure_database(DATABASE).await?;
        Ok(pg)
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

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = self.url("postgres");
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .map(Child::try_wait)
                .transpose()?
                .flatten()
            {
                bail!(
                    "postgres exited during start-up ({status}); log tail:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(conn) = sqlx::postgres::PgConnection::connect(&url).await {
                let _ = conn.close().await;
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "postgres did not accept connections within 60 s; log tail:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.data_dir.with_extension("log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
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

    /// The server's pid when this process started it.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Whether this process runs the server (rather than attached to another's).
    pub fn is_owner(&self) -> bool {
        self.child.is_some()
    }

    /// Fast shutdown: active sessions are ended, a checkpoint is written, the process exits.
    /// An attached handle leaves the server to the process that runs it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
        }
        match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                tracing::error!("PostgreSQL did not stop in 60 s; sending SIGQUIT");
                if let Some(pid) = child.id() {
                    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGQUIT);
                }
                child.wait().await?;
            }
        }
        Ok(())
    }
}
