//! Database hardening: security-definer functions search pg_temp last, the application role
//! creates no temporary objects, a cached menu belongs to a branch, expired rows are purged on
//! a schedule, and failed tasks stay within a manager's branch.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::spawn_app;

#[tokio::test]
async fn security_definer_functions_search_pg_temp_last() {
    let app = spawn_app().await;
    let mut owner = app.db.owner_conn().await;
    let loose: Vec<String> = sqlx::query_scalar(
        "select p.oid::regprocedure::text from pg_proc p \
         join pg_namespace n on n.oid = p.pronamespace \
         where n.nspname = 'public' and p.prosecdef \
           and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c \
                           where c like 'search_path=%' and c like '%pg_temp')",
    )
    .fetch_all(&mut owner)
    .await
    .unwrap();
    assert!(loose.is_empty(), "without pg_temp last: {loose:?}");
}

#[tokio::test]
async fn the_application_role_creates_no_temporary_objects() {
    let app = spawn_app().await;
    let err = sqlx::query("create temporary table t (a int)")
        .execute(&app.state.db.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[tokio::test]
async fn a_cached_menu_belongs_to_a_branch_of_its_brand() {
    let app = spawn_app().await;
    let (_, other_tenant, _) = app.other_tenant("cachers").await;
    let mut owner = app.db.owner_conn().await;
    let insert = |tenant: Uuid, branch: Uuid| {
        sqlx::query(
            "insert into menu_cache (branch_id, tenant_id, version, etag, body, item_ids, valid_until) \
             values ($1, $2, 1, 'e', '{}', '{}', now())",
        )
        .bind(branch)
        .bind(tenant)
    };
    assert!(
        insert(app.demo.tenant_id, Uuid::new_v4())
            .execute(&mut owner)
            .await
            .is_err()
    );
    assert!(
        insert(other_tenant, app.demo.riyadh)
            .execute(&mut owner)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_purge_job_removes_expired_rows_and_keeps_live_ones() {
    let app = spawn_app().await;
    let tenant = app.demo.tenant_id;
    let mut owner = app.db.owner_conn().await;
    let token = |family: Uuid, parent: Option<Uuid>, expires: &str| {
        let id = Uuid::new_v4();
        let sql = format!(
            "insert into refresh_tokens (id, tenant_id, family_id, parent_id, subject_id, kind, role, token_hash, expires_at) \
             values ($1, $2, $3, $4, $5, 'guest', 'guest', $6, now() + interval '{expires}')"
        );
        (id, sql, family, parent)
    };
    let (old_family, live_family) = (Uuid::new_v4(), Uuid::new_v4());
    let expired = token(old_family, None, "-2 days");
    // A live family whose first token has expired: it stays whole (its child points at it).
    let live_parent = token(live_family, None, "-1 day");
    let live_child = token(live_family, Some(live_parent.0), "20 days");
    for (id, sql, family, parent) in [&expired, &live_parent, &live_child] {
        sqlx::query(sql)
            .bind(id)
            .bind(tenant)
            .bind(family)
            .bind(parent)
            .bind(Uuid::new_v4())
            .bind(Uuid::new_v4().as_bytes().to_vec())
            .execute(&mut owner)
            .await
            .unwrap();
    }
    let (gone_session, kept_session) = (Uuid::new_v4(), Uuid::new_v4());
    for (expires, ref_) in [("-1 hour", gone_session), ("1 hour", kept_session)] {
        sqlx::query(&format!(
            "insert into guest_sessions (id, tenant_id, branch_id, expires_at) \
             values ($3, $1, $2, now() + interval '{expires}')"
        ))
        .bind(tenant)
        .bind(app.demo.riyadh)
        .bind(ref_)
        .execute(&mut owner)
        .await
        .unwrap();
    }
    for (age, key) in [("2 hours", "gone"), ("1 minute", "kept")] {
        sqlx::query(&format!(
            "insert into webhook_deliveries (provider, replay_key, received_at) \
             values ('simulator', $1, now() - interval '{age}')"
        ))
        .bind(key)
        .execute(&mut owner)
        .await
        .unwrap();
    }

    // What the scheduler runs.
    let job = platform::scheduler::standard_jobs()
        .into_iter()
        .find(|j| j.name == "purge-expired")
        .expect("a scheduled purge");
    let purged: i64 = sqlx::query_scalar(&job.command)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert!(purged >= 3);
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let families: Vec<Uuid> = sqlx::query_scalar(
        "select distinct family_id from refresh_tokens where family_id = any($1)",
    )
    .bind(vec![old_family, live_family])
    .fetch_all(&mut owner)
    .await
    .unwrap();
    assert_eq!(families, vec![live_family]);
    let live_tokens: i64 =
        sqlx::query_scalar("select count(*) from refresh_tokens where family_id = $1")
            .bind(live_family)
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(live_tokens, 2);
    let sessions: Vec<Uuid> =
        sqlx::query_scalar("select id from guest_sessions where id = any($1)")
            .bind(vec![gone_session, kept_session])
            .fetch_all(&mut owner)
            .await
            .unwrap();
    assert_eq!(sessions, vec![kept_session]);
    let deliveries: i64 =
        count("select count(*) from webhook_deliveries where replay_key = 'gone'")
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(deliveries, 0);
    let kept: i64 = count("select count(*) from webhook_deliveries where replay_key = 'kept'")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn branch_managers_see_only_their_branches_failed_tasks() {
    let app = spawn_app().await;
    let mut owner = app.db.owner_conn().await;
    let mut ids = Vec::new();
    for payload in [
        json!({ "branchId": app.demo.riyadh }),
        json!({ "branchId": app.demo.dubai }),
        json!({ "attemptId": Uuid::new_v4() }),
    ] {
        let id: i64 = sqlx::query_scalar(
            "insert into task_queue (tenant_id, kind, payload, status, attempts, last_error, finished_at) \
             values ($1, 'test.fails', $2, 'failed', 5, 'boom', now()) returning id",
        )
        .bind(app.demo.tenant_id)
        .bind(payload)
        .fetch_one(&mut owner)
        .await
        .unwrap();
        ids.push(id);
    }
    let ids = &ids;
    let failed = |token: String| {
        let app = &app;
        async move {
            let mut seen: Vec<i64> = app
                .get("/api/admin/tasks/failed", &token)
                .await
                .expect(200)
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .filter(|id| ids.contains(id))
                .collect();
            seen.sort();
            seen
        }
    };
    let (riyadh_task, dubai_task) = (ids[0], ids[1]);
    // The demo manager is scoped to Riyadh; the owner sees the whole brand.
    let manager = app.manager().await;
    assert_eq!(failed(manager.clone()).await, vec![riyadh_task]);
    assert_eq!(failed(app.owner().await).await, *ids);
    let stats = app
        .get("/api/admin/tasks/stats", &manager)
        .await
        .expect(200);
    let counted: i64 = stats
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "test.fails")
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 1);
    // Another branch's task is answered as an unknown one, and stays failed.
    let other = app
        .post(
            &format!("/api/admin/tasks/{dubai_task}/retry"),
            Some(&manager),
            json!({}),
        )
        .await;
    assert_eq!(other.status, 404);
    let unknown = app
        .post(
            "/api/admin/tasks/999999999/retry",
            Some(&manager),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    app.post(
        &format!("/api/admin/tasks/{riyadh_task}/retry"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(204);
}
