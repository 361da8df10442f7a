//! Periodic jobs: SQL commands on a cron schedule, run by pg_cron when the server has it, or
//! else by an in-process scheduler that runs each due slot once across all sous instances.
//!
//! Schedules are in UTC in both modes (pg_cron 1.4 has no time-zone setting): `0 3 * * *` is
//! 03:00 UTC. Use one mode for every instance of a deployment: pg_cron jobs and in-process
//! schedulers do not know about each other, so mixing them runs each job twice.

pub mod internal;
pub mod pg_cron;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use internal::InternalScheduler;

use crate::error::Result;

/// Who runs the periodic jobs (setting `scheduler`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerMode {
    /// pg_cron when the server has it, otherwise in-process.
    #[default]
    Auto,
    /// pg_cron, and fail to start without it.
    PgCron,
    /// In-process, even when pg_cron is there.
    Internal,
    /// Nothing: the jobs are left to the operator (or to another deployment's instances).
    Off,
}

/// A periodic job. `name` is stable (`[a-z0-9-]+`): pg_cron keys its jobs by it and the
/// in-process scheduler records its runs under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub name: String,
    /// A cron expression: five fields (minute granularity), which both modes understand. The
    /// in-process scheduler also takes a leading seconds field, which pg_cron 1.4 refuses.
    pub schedule: String,
    /// SQL run as the owner in the application database.
    pub command: String,
}

impl Job {
    pub fn new(
        name: impl Into<String>,
        schedule: impl Into<String>,
        command: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            schedule: schedule.into(),
            command: command.into(),
        }
    }

    fn check_name(&self) -> Result<()> {
        let ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(anyhow::anyhow!("job name `{}` is not [a-z0-9-]+", self.name).into())
        }
    }
}

/// The platform's periodic jobs (docs/operations.md §9). Their procedures are created by the task
/// queue migration; the loyalty one does nothing until that context fills it in.
pub fn standard_jobs() -> Vec<Job> {
    vec![
        Job::new(
            "refresh-menu-cache",
            "*/5 * * * *",
            "call sous_refresh_menu_cache()",
        ),
        Job::new("cleanup-tasks", "0 3 * * *", "call sous_cleanup_tasks()"),
        Job::new("loyalty-batch", "0 * * * *", "call sous_loyalty_batch()"),
        // The outbox only needs to cover reconnecting clients (Last-Event-ID); a week is plenty.
        Job::new("prune-events", "30 3 * * *", "select sous_prune_events()"),
        // Expired refresh tokens and guest sessions, and old webhook signatures.
        Job::new("purge-expired", "45 * * * *", "select sous_purge_expired()"),
        // Drivers' location is kept only for a short window (fulfillment's drivers migration).
        Job::new(
            "purge-driver-pings",
            "*/10 * * * *",
            "select sous_purge_driver_pings()",
        ),
    ]
}

/// What [`start`] set up.
#[derive(Debug)]
pub enum Started {
    /// The jobs are registered with pg_cron, which runs them from now on.
    PgCron(pg_cron::Registration),
    /// The in-process scheduler runs until the shutdown token is cancelled.
    Internal(JoinHandle<()>),
    Off,
}

impl Started {
    /// Waits for the in-process scheduler (if any) to finish after shutdown.
    pub async fn join(self) {
        if let Self::Internal(handle) = self
            && let Err(e) = handle.await
        {
            tracing::error!(error = %e, "the scheduler task failed");
        }
    }
}

/// Sets up the periodic `jobs` according to `mode`. `owner` connects as the owner to the
/// application database. In `Auto` mode a pg_cron that is missing or refuses the registration
/// (no right to create the extension, say) means the in-process scheduler.
pub async fn start(
    mode: SchedulerMode,
    owner: &PgConnectOptions,
    jobs: Vec<Job>,
    shutdown: CancellationToken,
) -> Result<Started> {
    match mode {
        SchedulerMode::Off => {
            tracing::info!("periodic jobs are off (scheduler = \"off\")");
            Ok(Started::Off)
        }
        SchedulerMode::PgCron => match pg_cron::register(owner, &jobs).await? {
            Some(registration) => Ok(Started::PgCron(registration)),
            None => Err(anyhow::anyhow!(
                "scheduler = \"pg_cron\" but this server has no pg_cron (install it and add it \
                 to shared_preload_libraries, or use scheduler = \"auto\")"
            )
            .into()),
        },
        SchedulerMode::Internal => start_internal(owner, jobs, shutdown).await,
        SchedulerMode::Auto => match pg_cron::register(owner, &jobs).await {
            Ok(Some(registration)) => Ok(Started::PgCron(registration)),
            Ok(None) => {
                tracing::info!("pg_cron is not available; periodic jobs run in-process");
                start_internal(owner, jobs, shutdown).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "registering the jobs with pg_cron failed; periodic jobs run in-process");
                start_internal(owner, jobs, shutdown).await
            }
        },
    }
}

async fn start_internal(
    owner: &PgConnectOptions,
    jobs: Vec<Job>,
    shutdown: CancellationToken,
) -> Result<Started> {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(owner.clone().application_name("sous-scheduler"))
        .await?;
    let scheduler = InternalScheduler::new(pool, jobs)?;
    Ok(Started::Internal(tokio::spawn(scheduler.run(shutdown))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_jobs_have_valid_names_and_five_field_schedules() {
        for job in standard_jobs() {
            job.check_name().unwrap();
            assert_eq!(job.schedule.split_whitespace().count(), 5, "{}", job.name);
            internal::parse_schedule(&job.schedule).unwrap();
        }
    }

    #[test]
    fn rejects_names_pg_cron_keys_would_mangle() {
        assert!(
            Job::new("Bad Name", "* * * * *", "select 1")
                .check_name()
                .is_err()
        );
        assert!(Job::new("", "* * * * *", "select 1").check_name().is_err());
    }

    #[test]
    fn mode_reads_from_settings_spelling() {
        let m: SchedulerMode = serde_json::from_str("\"pg_cron\"").unwrap();
        assert_eq!(m, SchedulerMode::PgCron);
        let m: SchedulerMode = serde_json::from_str("\"internal\"").unwrap();
        assert_eq!(m, SchedulerMode::Internal);
    }
}
