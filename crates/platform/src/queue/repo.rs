//! The queue's SQL. `enqueue` runs in the caller's transaction (application role or owner);
//! everything else is the workers' and runs on the owner connection, across tenants.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::NewTask;
use crate::error::Result;

/// A task a worker has claimed (`status = 'running'`, `attempts` already counts this run).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedTask {
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    pub priority: i32,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// A failed run: retried after `retry_in`, or marked failed when `permanent` or out of attempts.
#[derive(Clone, Debug)]
pub struct Failure {
    pub id: i64,
    pub error: String,
    pub retry_in: Duration,
    pub permanent: bool,
}

/// Inserts a task in the caller's transaction. Returns its id, or `None` when `dedup_key` is set
/// and a task of the same tenant, kind and key is still pending or running.
#[tracing::instrument(skip_all, fields(kind = %task.kind))]
pub async fn enqueue(conn: &mut PgConnection, task: &NewTask) -> Result<Option<i64>> {
    let id = sqlx::query_scalar(
        "insert into task_queue (tenant_id, kind, payload, priority, run_at, max_attempts, dedup_key) \
         values ($1, $2, $3, $4, coalesce($5, now()), $6, $7) \
         on conflict (tenant_id, kind, dedup_key) \
             where dedup_key is not null and status in ('pending', 'running') \
         do nothing \
         returning id",
    )
    .bind(task.tenant_id)
    .bind(&task.kind)
    .bind(&task.payload)
    .bind(task.priority)
    .bind(task.run_at)
    .bind(task.max_attempts)
    .bind(&task.dedup_key)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due tasks for `worker`, highest priority first, then oldest `run_at`.
///
/// The rows are picked and locked in a MATERIALIZED CTE that is evaluated exactly once: with a
/// plain `where id in (select … for update skip locked)` the planner may re-run the sub-select
/// (e.g. on an EvalPlanQual recheck) and claim more than `limit` rows. SKIP LOCKED makes
/// concurrent claimers pass over each other's rows instead of waiting, so each task goes to
/// exactly one worker. The result is sorted here because `update … returning` has no order.
#[tracing::instrument(skip(exec))]
pub async fn claim(
    exec: impl PgExecutor<'_>,
    worker: &str,
    limit: usize,
) -> Result<Vec<ClaimedTask>> {
    claim_completing(exec, worker, limit, &[]).await
}

/// [`claim`], and in the same statement (so in one commit) marks `done` — tasks this worker
/// finished — as done, as [`complete`] would.
#[tracing::instrument(skip(exec, done), fields(done = done.len()))]
pub async fn claim_completing(
    exec: impl PgExecutor<'_>,
    worker: &str,
    limit: usize,
    done: &[i64],
) -> Result<Vec<ClaimedTask>> {
    let mut tasks: Vec<ClaimedTask> = sqlx::query_as(
        "with completed as ( \
             update task_queue \
             set status = 'done', finished_at = now(), locked_at = null, locked_by = null \
             where id = any($3) and status = 'running' and locked_by = $1 \
         ), picked as materialized ( \
             select id from task_queue \
             where status = 'pending' and run_at <= now() \
             order by priority desc, run_at, id \
             limit $2 \
             for update skip locked \
         ) \
         update task_queue t \
         set status = 'running', attempts = t.attempts + 1, locked_at = now(), locked_by = $1 \
         from picked where t.id = picked.id \
         returning t.id, t.tenant_id, t.kind, t.payload, t.priority, t.run_at, t.attempts, \
                   t.max_attempts",
    )
    .bind(worker)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind(done)
    .fetch_all(exec)
    .await?;
    tasks.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.run_at, t.id));
    Ok(tasks)
}

/// Marks `ids` done in one statement. Only rows this worker still holds are touched: a task
/// that was rescued from this worker (and perhaps claimed by another) is not completed here.
/// Returns how many rows were completed.
#[tracing::instrument(skip(exec, ids), fields(n = ids.len()))]
pub async fn complete(exec: impl PgExecutor<'_>, worker: &str, ids: &[i64]) -> Result<u64> {
    let done = sqlx::query(
        "update task_queue \
         set status = 'done', finished_at = now(), locked_at = null, locked_by = null \
         where id = any($1) and status = 'running' and locked_by = $2",
    )
    .bind(ids)
    .bind(worker)
    .execute(exec)
    .await?;
    Ok(done.rows_affected())
}

/// Records failed runs in one statement: each goes back to pending with `run_at` moved by its
/// back-off, or to `failed` (dead) when it is permanent or has used its attempts. The error is
/// kept in `last_error` either way. Returns `(id, new status)` of the rows this worker held.
#[tracing::instrument(skip(exec, failures), fields(n = failures.len()))]
pub async fn fail(
    exec: impl PgExecutor<'_>,
    worker: &str,
    failures: &[Failure],
) -> Result<Vec<(i64, String)>> {
    let ids: Vec<i64> = failures.iter().map(|f| f.id).collect();
    let errors: Vec<&str> = failures.iter().map(|f| f.error.as_str()).collect();
    let delays: Vec<f64> = failures.iter().map(|f| f.retry_in.as_secs_f64()).collect();
    let permanent: Vec<bool> = failures.iter().map(|f| f.permanent).collect();
    let rows = sqlx::query_as(
        "with f as ( \
             select * from unnest($1::bigint[], $2::text[], $3::float8[], $4::bool[]) \
                 as f(id, error, delay, permanent) \
         ) \
         update task_queue t \
         set status = case when f.permanent or t.attempts >= t.max_attempts \
                           then 'failed' else 'pending' end, \
             run_at = case when f.permanent or t.attempts >= t.max_attempts \
                           then t.run_at else now() + make_interval(secs => f.delay) end, \
             finished_at = case when f.permanent or t.attempts >= t.max_attempts \
                                then now() end, \
             last_error = f.error, locked_at = null, locked_by = null \
         from f \
         where t.id = f.id and t.status = 'running' and t.locked_by = $5 \
         returning t.id, t.status",
    )
    .bind(&ids)
    .bind(&errors)
    .bind(&delays)
    .bind(&permanent)
    .bind(worker)
    .fetch_all(exec)
    .await?;
    Ok(rows)
}

/// Registers `worker` or refreshes its `last_seen`.
pub async fn heartbeat(exec: impl PgExecutor<'_>, worker: &str) -> Result<()> {
    sqlx::query(
        "insert into task_workers (id) values ($1) \
         on conflict (id) do update set last_seen = now()",
    )
    .bind(worker)
    .execute(exec)
    .await?;
    Ok(())
}

/// A worker that stops cleanly: anything it still holds (a completion it could not write) goes
/// back to pending, and its heartbeat row goes.
#[tracing::instrument(skip(conn))]
pub async fn sign_off(conn: &mut PgConnection, worker: &str) -> Result<()> {
    sqlx::query(
        "with released as ( \
             update task_queue set status = 'pending', run_at = now(), locked_at = null, \
                 locked_by = null \
             where status = 'running' and locked_by = $1 \
         ) \
         delete from task_workers where id = $1",
    )
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(())
}

/// Hands back claimed tasks this worker did not start (its claim-ahead buffer at shutdown, or
/// tasks that waited in it too long): pending again, with the claim's attempt returned.
#[tracing::instrument(skip(exec))]
pub async fn release(exec: impl PgExecutor<'_>, worker: &str, ids: &[i64]) -> Result<()> {
    sqlx::query(
        "update task_queue set status = 'pending', locked_at = null, locked_by = null, \
             attempts = greatest(attempts - 1, 0) \
         where id = any($2) and status = 'running' and locked_by = $1",
    )
    .bind(worker)
    .bind(ids)
    .execute(exec)
    .await?;
    Ok(())
}

/// Puts back the running tasks whose worker is gone: its heartbeat is older than
/// `heartbeat_timeout` (or it never registered), or the task has been locked longer than
/// `lock_timeout`, which workers never reach because they time out a task earlier. A rescued
/// task that has used its attempts is marked failed instead, so a task that kills every worker
/// that runs it stops. Then forgets the dead workers. Returns `(id, new status)`.
#[tracing::instrument(skip(exec))]
pub async fn rescue(
    exec: impl PgExecutor<'_>,
    heartbeat_timeout: Duration,
    lock_timeout: Duration,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query_as(
        "with stale as materialized ( \
             select t.id from task_queue t \
             where t.status = 'running' \
               and (t.locked_at < now() - make_interval(secs => $2) \
                    or not exists (select 1 from task_workers w \
                                   where w.id = t.locked_by \
                                     and w.last_seen >= now() - make_interval(secs => $1))) \
             for update of t skip locked \
         ), \
         rescued as ( \
             update task_queue t \
             set status = case when t.attempts >= t.max_attempts then 'failed' else 'pending' end, \
                 finished_at = case when t.attempts >= t.max_attempts then now() end, \
                 run_at = now(), \
                 last_error = format('worker %s stopped or timed out during attempt %s \
                                      (locked at %s)', t.locked_by, t.attempts, t.locked_at), \
                 locked_at = null, locked_by = null \
             from stale where t.id = stale.id \
             returning t.id, t.status \
         ), \
         forgotten as ( \
             delete from task_workers where last_seen < now() - make_interval(secs => $1) \
         ) \
         select id, status from rescued",
    )
    .bind(heartbeat_timeout.as_secs_f64())
    .bind(lock_timeout.as_secs_f64())
    .fetch_all(exec)
    .await?;
    Ok(rows)
}
