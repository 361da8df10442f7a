//! `sous doctor`: what this machine offers sous, printed for a human.

use platform::{config::Settings, embedded_pg::PgInstall};

fn command_version(cmd: &str, arg: &str) -> Option<String> {
    let out = std::process::Command::new(cmd).arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn port_state(addr: std::net::SocketAddr) -> &'static str {
    match std::net::TcpListener::bind(addr) {
        Ok(_) => "free",
        Err(_) => "in use",
    }
}

pub fn run(settings: &Settings) -> bool {
    let mut ok = true;
    println!("sous {}", env!("CARGO_PKG_VERSION"));
    println!("configuration: {settings:?}");
    match PgInstall::find() {
        Ok(pg) => {
            println!("postgresql:   {} in {}", pg.version, pg.bin_dir.display());
            println!(
                "pg_cron:      {}",
                if pg.has_pg_cron() {
                    "installed"
                } else {
                    "not installed (in-process scheduler is used)"
                }
            );
        }
        Err(e) if settings.database_url.is_none() => {
            ok = false;
            println!("postgresql:   MISSING — {e}");
        }
        Err(_) => println!("postgresql:   no local server (using SOUS_DATABASE_URL)"),
    }
    println!(
        "database:     {}",
        if settings.database_url.is_some() {
            "external (SOUS_DATABASE_URL)"
        } else {
            "embedded"
        }
    );
    let pg_dir = settings.pg_dir();
    println!(
        "data dir:     {} ({})",
        settings.data_dir.display(),
        if pg_dir.join("PG_VERSION").exists() {
            "cluster initialised"
        } else {
            "no cluster yet"
        }
    );
    println!(
        "node:         {}",
        command_version("node", "--version").unwrap_or_else(|| "not found".into())
    );
    let web_build = settings.web_dir.join("dist");
    println!(
        "web build:    {}",
        if web_build.exists() {
            format!("{}", web_build.display())
        } else {
            "not built".into()
        }
    );
    println!(
        "listen:       {} ({})",
        settings.listen,
        port_state(settings.listen)
    );
    ok
}
