//! The in-process scheduler, for servers without pg_cron. Every sous instance runs one; each due
//! run of a job ("slot": the job's name and the time the schedule names) runs once in total.
//!
//! A slot is claimed in one transaction that takes `pg_try_advisory_xact_lock` on the job,
//! inserts `(job, slot)` into `scheduled_runs`, runs the command and commits. Both guards are
//! needed:
//!
//! - The row makes a slot run once across time. The lock ends with the transaction, so an
//!   instance that reaches the slot after the first one committed (its clock runs late, it was
//!   paused, it started later) would run the slot again; the primary key stops it.
//! - The lock makes racing instances give up at once. Without it the second instance's insert
//!   would wait on the first one's uncommitted key for as long as the job runs, holding a
//!   connection, only to find the slot taken. It also keeps runs of one job from overlapping: a
//!   slot that comes due while the previous run is still going is skipped, as pg_cron does.
//!
//! A run that fails rolls back its slot row and is not retried; the next slot runs as usual.
//! Slots missed while no instance was running are not caught up (cron semantics).

use chrono::{DateTime, Utc};
use croner::{
    Cron,
    parser::{CronParser, Seconds},
};
use sqlx::{Executor, PgPool};
use tokio_util::sync::CancellationToken;

use super::Job;
use crate::error::Result;

/// Parses a five-field expression, or six with a leading seconds field.
pub fn parse_schedule(schedule: &str) -> Result<Cron> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(schedule)
        .map_err(|e| anyhow::anyhow!("bad cron schedule `{schedule}`: {e}").into())
}

pub struct InternalScheduler {
    pool: PgPool,
    jobs: Vec<(Job, Cron)>,
}

impl InternalScheduler {
    /// `pool` connects as the owner to the application database.
    pub fn new(pool: PgPool, jobs: Vec<Job>) -> Result<Self> {
        let jobs = jobs
            .into_iter()
            .map(|job| {
                job.check_name()?;
                let cron = parse_schedule(&job.schedule)?;
                Ok((job, cron))
            })
            .collect::<Result<_>>()?;
        Ok(Self { pool, jobs })
    }

    /// The first slot of `job` strictly after `after`.
    pub fn next_slot(&self, job: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>> {
        let (_, cron) = self
            .jobs
            .iter()
            .find(|(j, _)| j.name == job)
            .ok_or_else(|| anyhow::anyhow!("no job `{job}`"))?;
        next_after(cron, after)
    }

    /// Runs `job`'s slot `slot` unless another instance runs or ran it. Returns whether this
    /// call ran it. A failing command is an error and leaves the slot unclaimed.
    #[tracing::instrument(skip(self, job), fields(job = %job.name))]
    pub async fn run_slot(&self, job: &Job, slot: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar(
            "select pg_try_advisory_xact_lock(hashtext('sous.scheduler'), hashtext($1))",
        )
        .bind(&job.name)
        .fetch_one(&mut *tx)
        .await?;
        if !locked {
            return Ok(false);
        }
        let claimed = sqlx::query(
            "insert into scheduled_runs (job, slot) values ($1, $2) on conflict do nothing",
        )
        .bind(&job.name)
        .bind(slot)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(false);
        }
        // Through `Executor` rather than `RawSql::execute`, whose generic future the compiler
        // cannot prove `Send` for the spawned scheduler loop.
        (&mut *tx).execute(sqlx::raw_sql(&job.command)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Runs every job at its slots until `shutdown` is cancelled (a run in progress finishes).
    pub async fn run(self, shutdown: CancellationToken) {
        let names: Vec<&str> = self.jobs.iter().map(|(j, _)| j.name.as_str()).collect();
        tracing::info!(jobs = ?names, "in-process scheduler started");
        let start = Utc::now();
        let mut next: Vec<Option<DateTime<Utc>>> = self
            .jobs
            .iter()
            .map(|(job, cron)| log_err(job, next_after(cron, start)))
            .collect();
        loop {
            let Some(due) = next.iter().flatten().min().copied() else {
                // No job has a future slot (or there are no jobs).
                shutdown.cancelled().await;
                break;
            };
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            for (i, (job, cron)) in self.jobs.iter().enumerate() {
                let Some(slot) = next[i].filter(|slot| *slot <= Utc::now()) else {
                    continue;
                };
                match self.run_slot(job, slot).await {
                    Ok(true) => tracing::info!(job = %job.name, %slot, "scheduled job ran"),
                    Ok(false) => {
                        tracing::debug!(job = %job.name, %slot, "slot taken by another instance")
                    }
                    Err(e) => {
                        tracing::error!(job = %job.name, %slot, error = %e, "scheduled job failed")
                    }
                }
                // From the slot or now, whichever is later: a run that outlasted later slots
                // (or a suspended process) skips them instead of running them back to back.
                next[i] = log_err(job, next_after(cron, slot.max(Utc::now())));
            }
        }
        tracing::info!("in-process scheduler stopped");
    }
}

fn next_after(cron: &Cron, after: DateTime<Utc>) -> Result<DateTime<Utc>> {
    cron.find_next_occurrence(&after, false)
        .map_err(|e| anyhow::anyhow!("no next slot for `{}`: {e}", cron.pattern).into())
}

fn log_err(job: &Job, next: Result<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    next.map_err(|e| tracing::error!(job = %job.name, error = %e, "job has no next slot"))
        .ok()
}
