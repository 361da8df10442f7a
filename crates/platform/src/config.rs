//! Settings: built-in defaults, then an optional TOML file, then `SOUS_*` environment variables.
//! Secrets (database URLs with passwords, JWT keys) are never printed: `Debug` redacts them.

use std::{fmt, net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::{rate_limit::RateLimitSettings, scheduler::SchedulerMode};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Where this instance runs. `production` refuses what only a development or demo
/// installation may have: the demo brand, whose passwords are published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Production,
}

/// Which card terminal integration takes card tenders. Only the simulator exists: it talks to no
/// bank and moves no money, and is named as such so no one mistakes it for a real terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalSetting {
    #[default]
    Simulator,
}

/// Which online payment provider hosts the payment page. Only the simulator exists: its test
/// page is served by sous itself and moves no money.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineSetting {
    #[default]
    Simulator,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentSettings {
    /// `payments.terminal` (`SOUS_PAYMENTS__TERMINAL`): the card terminal integration.
    pub terminal: TerminalSetting,
    /// `payments.online` (`SOUS_PAYMENTS__ONLINE`): the online payment provider.
    pub online: OnlineSetting,
    /// The secret the online provider signs its webhooks with. Unset: generated once and kept
    /// in `data_dir/webhook.secret` (what the simulator uses; a real provider's comes from it).
    pub webhook_secret: Option<String>,
    /// The public address of sous (`https://pos.example.com`), put in front of the simulator's
    /// payment page address. Unset: the address is a path on the same host.
    pub public_url: Option<String>,
    /// Crash testing only (`SOUS_PAYMENTS__PAUSE_AFTER_PROVIDER=true`): after a provider call
    /// succeeds, the request waits forever before recording the outcome, so a test can kill the
    /// process between the two steps. Never set it in production.
    pub pause_after_provider: bool,
}

impl fmt::Debug for PaymentSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentSettings")
            .field("terminal", &self.terminal)
            .field("online", &self.online)
            .field("webhook_secret", &redact(&self.webhook_secret))
            .field("public_url", &self.public_url)
            .field("pause_after_provider", &self.pause_after_provider)
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Owner connection (runs migrations). Unset: an embedded cluster in `data_dir/pg`.
    pub database_url: Option<String>,
    /// Application connection (non-owner role, RLS applies). Unset: the owner URL with the
    /// user switched to `sous_app`.
    pub app_database_url: Option<String>,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `kid:secret` pairs separated by commas; the first signs new tokens, all verify.
    /// Unset: a key generated once and kept in `data_dir/jwt.key`.
    pub jwt_keys: Option<String>,
    /// Key of the PIN look-up hash. Unset: generated once in `data_dir/pin.pepper`.
    pub pin_pepper: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub log_format: LogFormat,
    /// Maximum connections of the application pool.
    pub db_pool_size: u32,
    /// Where the built web app lives (used when it exists).
    pub web_dir: PathBuf,
    pub rate_limits: RateLimitSettings,
    /// Seed the demo brand when `serve` finds an empty database (`sous serve --demo` turns it
    /// on). Off by default: a fresh production database must not get the demo's published
    /// logins.
    pub seed_demo: bool,
    /// `SOUS_ENV`: `development` or `production` (which refuses the demo brand).
    pub env: Environment,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (addresses or CIDR
    /// blocks, e.g. `["127.0.0.1", "10.0.0.0/8"]`). Empty: the peer is the client.
    #[serde(deserialize_with = "addresses")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Tasks run at once by the in-process worker of `sous serve` (0: none, leave them to
    /// `sous worker`) and by `sous worker` (unless `--concurrency` says otherwise).
    pub worker_concurrency: usize,
    /// Who runs the periodic jobs: `auto`, `pg_cron`, `internal` or `off`.
    pub scheduler: SchedulerMode,
    /// Events held for SSE clients; a client further behind than this is disconnected.
    pub event_buffer: usize,
    /// Events a resuming SSE client is replayed at most (from its `Last-Event-ID`); further
    /// behind, it gets `event: reset` and re-reads what it shows.
    pub sse_replay_limit: u32,
    /// Event streams one principal (a user, a guest session) may hold open at once; one more
    /// is answered 429.
    pub sse_streams_per_principal: usize,
    /// Payment providers (`[payments]`).
    #[serde(default)]
    pub payments: PaymentSettings,
    /// Seconds a shutdown (SIGINT/SIGTERM) may take, whatever the database's state: what has
    /// not finished by then is abandoned, and the embedded server is stopped within the bound.
    pub shutdown_timeout: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: None,
            app_database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(".data"),
            jwt_keys: None,
            pin_pepper: None,
            jwt_issuer: "sous".into(),
            jwt_audience: "sous-api".into(),
            log_format: LogFormat::Text,
            db_pool_size: 16,
            web_dir: PathBuf::from("web"),
            rate_limits: RateLimitSettings::default(),
            seed_demo: false,
            env: Environment::Development,
            trusted_proxies: Vec::new(),
            worker_concurrency: 4,
            scheduler: SchedulerMode::Auto,
            event_buffer: 4096,
            sse_replay_limit: 1000,
            sse_streams_per_principal: 16,
            payments: PaymentSettings::default(),
            shutdown_timeout: 30,
        }
    }
}

impl Settings {
    /// Loads settings from `SOUS_CONFIG` (default `sous.toml`, optional) and `SOUS_*` variables.
    pub fn load() -> Result<Self, Box<figment::Error>> {
        let file = std::env::var("SOUS_CONFIG").unwrap_or_else(|_| "sous.toml".into());
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("SOUS_").split("__").ignore(&["config"]))
            .extract()
            .map_err(Box::new)
    }

    pub fn pg_dir(&self) -> PathBuf {
        self.data_dir.join("pg")
    }

    /// [`Self::shutdown_timeout`] as a duration (at least a second).
    pub fn shutdown_limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_timeout.max(1))
    }
}

/// A list of addresses or CIDR blocks, as a list or one comma-separated string (easier to
/// write in a variable); a bare address is a block of one.
fn addresses<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        One(String),
        Many(Vec<String>),
    }
    let given = match Given::deserialize(d)? {
        Given::One(s) => s.split(',').map(|s| s.trim().to_string()).collect(),
        Given::Many(v) => v,
    };
    given
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{s:?} is neither an IP address nor a CIDR block"
                    ))
                })
        })
        .collect()
}

fn redact(v: &Option<String>) -> &'static str {
    if v.is_some() { "<set>" } else { "<unset>" }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact(&self.database_url))
            .field("app_database_url", &redact(&self.app_database_url))
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("jwt_keys", &redact(&self.jwt_keys))
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("log_format", &self.log_format)
            .field("db_pool_size", &self.db_pool_size)
            .field("web_dir", &self.web_dir)
            .field("pin_pepper", &redact(&self.pin_pepper))
            .field("rate_limits", &self.rate_limits)
            .field("seed_demo", &self.seed_demo)
            .field("env", &self.env)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("worker_concurrency", &self.worker_concurrency)
            .field("scheduler", &self.scheduler)
            .field("event_buffer", &self.event_buffer)
            .field("sse_replay_limit", &self.sse_replay_limit)
            .field("sse_streams_per_principal", &self.sse_streams_per_principal)
            .field("payments", &self.payments)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_secrets() {
        let s = Settings {
            database_url: Some("postgres://u:hunter2@h/db".into()),
            jwt_keys: Some("k1:topsecret".into()),
            ..Settings::default()
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("topsecret"));
        assert!(printed.contains("<set>"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // the closure's type is figment's Jail API
    fn env_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SOUS_LISTEN", "127.0.0.1:9999");
            jail.set_env("SOUS_LOG_FORMAT", "json");
            let s = Settings::load().map_err(|e| *e)?;
            assert_eq!(s.listen.port(), 9999);
            assert_eq!(s.log_format, LogFormat::Json);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // the closure's type is figment's Jail API
    fn the_demo_is_off_unless_asked_for() {
        figment::Jail::expect_with(|jail| {
            let s = Settings::load().map_err(|e| *e)?;
            assert!(!s.seed_demo, "no demo brand unless asked for");
            assert_eq!(s.env, Environment::Development);
            jail.set_env("SOUS_SEED_DEMO", "true");
            jail.set_env("SOUS_ENV", "production");
            let s = Settings::load().map_err(|e| *e)?;
            assert!(s.seed_demo);
            assert_eq!(s.env, Environment::Production);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // the closure's type is figment's Jail API
    fn trusted_proxies_take_addresses_and_blocks() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "SOUS_TRUSTED_PROXIES",
                r#"["127.0.0.1", "10.0.0.0/8", "::1"]"#,
            );
            let s = Settings::load().map_err(|e| *e)?;
            assert_eq!(s.trusted_proxies.len(), 3);
            assert!(
                s.trusted_proxies[1].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap())
            );
            jail.set_env("SOUS_TRUSTED_PROXIES", "192.168.0.0/16, 127.0.0.1");
            let s = Settings::load().map_err(|e| *e)?;
            assert_eq!(s.trusted_proxies.len(), 2);
            jail.set_env("SOUS_TRUSTED_PROXIES", "nginx");
            assert!(Settings::load().is_err());
            Ok(())
        });
    }
}
