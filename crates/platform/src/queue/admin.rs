//! The queue's admin API for a brand's owner and managers: counts by kind and status, the dead
//! tasks, and retrying or discarding one. Everything runs through RLS in the caller's tenant;
//! retry and discard go through the owner function `sous_task_admin` (migration `task_admin`).
//! A manager scoped to a branch sees only that branch's tasks (`task_queue.branch_id`, from the
//! payload's `branchId`); tasks of no branch are for the owner and unscoped managers.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    audit::{self, Entry},
    auth::{Auth, Principal, Role, policy},
    error::{Error, Problem, Result},
    http::ApiPath,
};

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct KindCount {
    pub kind: String,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct DeadTask {
    pub id: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The branch whose tasks the caller is limited to (`None`: every task of the brand).
fn branch_limit(p: &Principal) -> Option<uuid::Uuid> {
    if p.role == Role::Owner {
        None
    } else {
        p.branch_id
    }
}

/// Task counts of the caller's brand (or branch) by kind and status.
#[utoipa::path(get, path = "/api/admin/tasks/stats", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<KindCount>), (status = 403, body = Problem)))]
pub async fn stats(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<Json<Vec<KindCount>>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let rows = sqlx::query_as(
        "select kind, status, count(*) as count from task_queue \
         where $1::uuid is null or branch_id = $1 \
         group by kind, status order by kind, status",
    )
    .bind(branch_limit(&auth))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(rows))
}

/// The caller's brand's (or branch's) dead (failed) tasks, newest first (at most 200).
#[utoipa::path(get, path = "/api/admin/tasks/failed", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeadTask>), (status = 403, body = Problem)))]
pub async fn failed(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
) -> Result<Json<Vec<DeadTask>>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let rows = sqlx::query_as(
        "select id, kind, payload, attempts, last_error, created_at, finished_at from task_queue \
         where status = 'failed' and ($1::uuid is null or branch_id = $1) \
         order by finished_at desc, id desc limit 200",
    )
    .bind(branch_limit(&auth))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(rows))
}

/// Retries or discards a failed task of the caller's tenant, audited in the same transaction.
async fn act(state: &AppState, auth: &Auth<policy::Managers>, id: i64, action: &str) -> Result<()> {
    let mut tx = state.db.begin(auth.scope()).await?;
    // Another branch's task is answered like an unknown one.
    let visible: bool = sqlx::query_scalar(
        "select exists(select 1 from task_queue where id = $1 and ($2::uuid is null or branch_id = $2))",
    )
    .bind(id)
    .bind(branch_limit(auth))
    .fetch_one(&mut *tx)
    .await?;
    if !visible {
        return Err(Error::NotFound);
    }
    let outcome: String = sqlx::query_scalar("select sous_task_admin($1, $2)")
        .bind(id)
        .bind(action)
        .fetch_one(&mut *tx)
        .await?;
    match outcome.as_str() {
        "ok" => {}
        "not_failed" => {
            return Err(Error::conflict(
                "task_not_failed",
                "only failed tasks can be retried or discarded",
            ));
        }
        _ => return Err(Error::NotFound),
    }
    audit::record(
        &mut tx,
        auth.tenant_id,
        (&auth.0).into(),
        Entry {
            action: &format!("task.{action}"),
            entity: "task",
            entity_id: None,
            before: None,
            after: Some(serde_json::json!({ "task_id": id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Run a failed task again, with a fresh set of attempts.
#[utoipa::path(post, path = "/api/admin/tasks/{task_id}/retry", tag = "admin", security(("bearer" = [])),
    params(("task_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retry(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    act(&state, &auth, id, "retry").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Drop a failed task for good.
#[utoipa::path(post, path = "/api/admin/tasks/{task_id}/discard", tag = "admin", security(("bearer" = [])),
    params(("task_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn discard(
    State(state): State<AppState>,
    auth: Auth<policy::Managers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    act(&state, &auth, id, "discard").await?;
    Ok(StatusCode::NO_CONTENT)
}
