//! The queue's admin API: a brand's managers see and act on their own tasks only.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

async fn task(app: &TestApp, tenant: Uuid, kind: &str, status: &str) -> i64 {
    let mut owner = app.db.owner_conn().await;
    let finished = matches!(status, "done" | "failed");
    sqlx::query_scalar(
        "insert into task_queue (tenant_id, kind, status, attempts, last_error, finished_at) \
         values ($1, $2, $3, 5, case when $3 = 'failed' then 'boom' end, case when $4 then now() end) \
         returning id",
    )
    .bind(tenant)
    .bind(kind)
    .bind(status)
    .bind(finished)
    .fetch_one(&mut owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn managers_see_and_retry_or_discard_their_own_dead_tasks() {
    let app = spawn_app().await;
    let (_, tenant_b, _) = app.other_tenant("brand-b").await;
    let a = app.demo.tenant_id;
    let dead = task(&app, a, "receipt.email", "failed").await;
    let dead_too = task(&app, a, "receipt.email", "failed").await;
    task(&app, a, "receipt.email", "done").await;
    task(&app, a, "menu.rebuild", "pending").await;
    let foreign = task(&app, tenant_b, "receipt.email", "failed").await;

    // Tasks of no branch are for the owner and unscoped managers (the demo manager has Riyadh).
    let manager = app.owner().await;
    let stats = app
        .get("/api/admin/tasks/stats", &manager)
        .await
        .expect(200);
    assert_eq!(
        stats,
        json!([
            { "kind": "menu.rebuild", "status": "pending", "count": 1 },
            { "kind": "receipt.email", "status": "done", "count": 1 },
            { "kind": "receipt.email", "status": "failed", "count": 2 }
        ])
    );
    let failed = app
        .get("/api/admin/tasks/failed", &manager)
        .await
        .expect(200);
    let ids: Vec<i64> = failed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&foreign));
    assert_eq!(failed[0]["lastError"], "boom");

    app.post(
        &format!("/api/admin/tasks/{dead}/retry"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(204);
    let mut owner = app.db.owner_conn().await;
    let (status, attempts): (String, i32) =
        sqlx::query_as("select status, attempts from task_queue where id = $1")
            .bind(dead)
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 0));
    let again = app
        .post(
            &format!("/api/admin/tasks/{dead}/retry"),
            Some(&manager),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "task_not_failed")
    );

    app.post(
        &format!("/api/admin/tasks/{dead_too}/discard"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(204);
    let left: i64 = sqlx::query_scalar("select count(*) from task_queue where id = $1")
        .bind(dead_too)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // Another brand's task does not exist for this one, and stays as it was.
    app.post(
        &format!("/api/admin/tasks/{foreign}/retry"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(404);
    app.post(
        &format!("/api/admin/tasks/{foreign}/discard"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(404);
    let foreign_status: String = sqlx::query_scalar("select status from task_queue where id = $1")
        .bind(foreign)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(foreign_status, "failed");

    let cashier = app.cashier().await;
    app.post(
        &format!("/api/admin/tasks/{dead}/retry"),
        Some(&cashier),
        json!({}),
    )
    .await
    .expect(403);
}
