//! Registering the jobs with pg_cron.
//!
//! pg_cron keeps its jobs in one database per cluster (`cron.database_name`), which need not be
//! the application's: jobs are scheduled there with `cron.schedule_in_database`, naming the
//! application database. Several sous databases can share a cluster (tests do), so each job is
//! registered as `<job>@<database>`. pg_cron 1.4 updates a job whose name (and user) already
//! exists, so registering at every start is idempotent; jobs of this database that sous no
//! longer defines are unscheduled.

use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};

use super::Job;
use crate::error::Result;

/// The jobs registered for one application database.
#[derive(Clone, Debug)]
pub struct Registration {
    /// Where pg_cron keeps its jobs.
    pub cron_database: String,
    /// The application database the jobs run in.
    pub database: String,
    /// `(pg_cron job name, job id)` of each job.
    pub jobs: Vec<(String, i64)>,
}

/// The database holding pg_cron's jobs, if the server can run them: the extension is installed
/// and preloaded (its `cron.database_name` setting exists only then).
pub async fn cron_database(conn: &mut PgConnection) -> Result<Option<String>> {
    let (available, database): (bool, Option<String>) = sqlx::query_as(
        "select exists (select 1 from pg_available_extensions where name = 'pg_cron'), \
                nullif(current_setting('cron.database_name', true), '')",
    )
    .fetch_one(conn)
    .await?;
    Ok(database.filter(|_| available))
}

/// The pg_cron name of `job` for the application database `database`.
pub fn job_name(job: &str, database: &str) -> String {
    format!("{job}@{database}")
}

/// Registers `jobs` for the database `owner` connects to. `None` when the server has no
/// pg_cron. Creates the extension in pg_cron's database if needed, which takes a superuser.
pub async fn register(owner: &PgConnectOptions, jobs: &[Job]) -> Result<Option<Registration>> {
    for job in jobs {
        job.check_name()?;
        if job.schedule.split_whitespace().count() != 5 {
            return Err(anyhow::anyhow!(
                "job `{}`: pg_cron 1.4 takes five-field schedules, not `{}`",
                job.name,
                job.schedule
            )
            .into());
        }
    }
    let mut app = PgConnection::connect_with(owner).await?;
    let database: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&mut app)
        .await?;
    let Some(cron_database) = cron_database(&mut app).await? else {
        app.close().await?;
        return Ok(None);
    };
    app.close().await?;

    let mut cron = PgConnection::connect_with(&owner.clone().database(&cron_database)).await?;
    let mut tx = cron.begin().await?;
    // Instances starting together would race on CREATE EXTENSION (a unique violation in the
    // catalog); the lock makes the second one find it created.
    sqlx::query("select pg_advisory_xact_lock(hashtext('sous.pg_cron'))")
        .execute(&mut *tx)
        .await?;
    sqlx::query("create extension if not exists pg_cron")
        .execute(&mut *tx)
        .await?;
    let mut registered = Vec::with_capacity(jobs.len());
    for job in jobs {
        let name = job_name(&job.name, &database);
        let id: i64 = sqlx::query_scalar("select cron.schedule_in_database($1, $2, $3, $4)")
            .bind(&name)
            .bind(&job.schedule)
            .bind(&job.command)
            .bind(&database)
            .fetch_one(&mut *tx)
            .await?;
        registered.push((name, id));
    }
    let names: Vec<&str> = registered.iter().map(|(n, _)| n.as_str()).collect();
    let removed: Vec<String> = sqlx::query_scalar(
        "with stale as materialized ( \
             select jobid, jobname from cron.job \
             where database = $1 and right(jobname, length($2)) = $2 and jobname <> all($3) \
         ) \
         select jobname from stale where cron.unschedule(jobid)",
    )
    .bind(&database)
    .bind(format!("@{database}"))
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    cron.close().await?;
    for name in removed {
        tracing::info!(job = %name, "unscheduled a pg_cron job sous no longer defines");
    }
    tracing::info!(%cron_database, %database, jobs = ?names, "periodic jobs registered with pg_cron");
    Ok(Some(Registration {
        cron_database,
        database,
        jobs: registered,
    }))
}

/// Unschedules every job sous registered for the database `owner` connects to (switching a
/// deployment to the in-process scheduler, dropping a database). Returns how many went.
pub async fn unregister(owner: &PgConnectOptions) -> Result<u64> {
    let mut app = PgConnection::connect_with(owner).await?;
    let database: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&mut app)
        .await?;
    let cron_database = cron_database(&mut app).await?;
    app.close().await?;
    let Some(cron_database) = cron_database else {
        return Ok(0);
    };
    let mut cron = PgConnection::connect_with(&owner.clone().database(&cron_database)).await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_extension where extname = 'pg_cron')")
            .fetch_one(&mut cron)
            .await?;
    let removed = if exists {
        sqlx::query(
            "select cron.unschedule(jobid) from cron.job \
             where database = $1 and right(jobname, length($2)) = $2",
        )
        .bind(&database)
        .bind(format!("@{database}"))
        .execute(&mut cron)
        .await?
        .rows_affected()
    } else {
        0
    };
    cron.close().await?;
    Ok(removed)
}
