//! Tenants never see each other's data: through the API, and through the application role at
//! the SQL level, for every tenant table.

use platform::db::{Db, TenantScope};
use serde_json::json;
use sqlx::{Connection, PgConnection, Row};
use uuid::Uuid;

use crate::helpers::{branch_body, spawn_app};

/// Every table in `public` that has a `tenant_id` column, read from the catalog.
async fn tenant_tables(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped \
         where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn catalog_app_role_is_bound_by_rls_on_every_tenant_table() {
    let app = spawn_app().await;
    let mut owner = app.db.owner_conn().await;
    let role =
        sqlx::query("select rolsuper, rolbypassrls from pg_roles where rolname = 'sous_app'")
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert!(
        !role.get::<bool, _>("rolsuper"),
        "sous_app must not be superuser"
    );
    assert!(
        !role.get::<bool, _>("rolbypassrls"),
        "sous_app must not bypass RLS"
    );
    let owned: i64 = sqlx::query_scalar(
        "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner \
         join pg_namespace n on n.oid = c.relnamespace where r.rolname = 'sous_app' and n.nspname = 'public'",
    )
    .fetch_one(&mut owner)
    .await
    .unwrap();
    assert_eq!(owned, 0, "sous_app must own no relation");

    let tables = tenant_tables(&mut owner).await;
    assert!(
        tables.len() >= 7,
        "expected the identity tables, got {tables:?}"
    );
    for t in tables
        .iter()
        .map(String::as_str)
        .chain(["tenants", "users"])
    {
        let row = sqlx::query(
            "select c.relrowsecurity, c.relforcerowsecurity, \
             (select count(*) from pg_policy p where p.polrelid = c.oid) as policies \
             from pg_class c where c.oid = ('public.' || $1)::regclass",
        )
        .bind(t)
        .fetch_one(&mut owner)
        .await
        .unwrap();
        assert!(row.get::<bool, _>(0), "{t}: RLS not enabled");
        assert!(row.get::<bool, _>(1), "{t}: RLS not forced");
        assert!(row.get::<i64, _>(2) > 0, "{t}: no policy");
    }
}

#[tokio::test]
async fn unscoped_app_role_sees_no_tenant_rows() {
    let app = spawn_app().await;
    app.other_tenant("brand-b").await;
    let mut owner = app.db.owner_conn().await;
    let tables = tenant_tables(&mut owner).await;
    let mut conn = PgConnection::connect_with(&app.db.app_options())
        .await
        .unwrap();
    for t in tables
        .iter()
        .map(String::as_str)
        .chain(["tenants", "users"])
    {
        let owner_count: i64 = sqlx::query_scalar(&format!("select count(*) from {t}"))
            .fetch_one(&mut owner)
            .await
            .unwrap();
        let app_count: i64 = sqlx::query_scalar(&format!("select count(*) from {t}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            app_count, 0,
            "{t}: {app_count} rows visible without app.tenant_id (owner sees {owner_count})"
        );
    }
}

#[tokio::test]
async fn app_role_scoped_to_a_cannot_read_or_write_b() {
    let app = spawn_app().await;
    let (_, tenant_b, branch_b) = app.other_tenant("brand-b").await;
    let tenant_a = app.demo.tenant_id;
    let mut owner = app.db.owner_conn().await;
    let tables = tenant_tables(&mut owner).await;

    for t in &tables {
        let b_rows: i64 =
            sqlx::query_scalar(&format!("select count(*) from {t} where tenant_id = $1"))
                .bind(tenant_b)
                .fetch_one(&mut owner)
                .await
                .unwrap();
        let mut tx = app
            .state
            .db
            .begin(TenantScope::tenant(tenant_a))
            .await
            .unwrap();
        let seen: i64 =
            sqlx::query_scalar(&format!("select count(*) from {t} where tenant_id <> $1"))
                .bind(tenant_a)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(seen, 0, "{t}: tenant A sees foreign rows");
        // Append-only tables (audit_log, events, the journal) refuse UPDATE/DELETE to the app
        // role outright, and business records (orders, payments) refuse DELETE.
        let may = |privilege: &'static str| {
            sqlx::query_scalar::<_, bool>("select has_table_privilege('sous_app', $1, $2)")
                .bind(t.clone())
                .bind(privilege)
        };
        let (can_update, can_delete) = (
            may("UPDATE").fetch_one(&mut owner).await.unwrap(),
            may("DELETE").fetch_one(&mut owner).await.unwrap(),
        );
        if can_update {
            let updated = sqlx::query(&format!(
                "update {t} set tenant_id = tenant_id where tenant_id = $1"
            ))
            .bind(tenant_b)
            .execute(&mut *tx)
            .await
            .unwrap()
            .rows_affected();
            assert_eq!(
                updated, 0,
                "{t}: tenant A updated B's rows (B has {b_rows})"
            );
        }
        if can_delete {
            let deleted = sqlx::query(&format!("delete from {t} where tenant_id = $1"))
                .bind(tenant_b)
                .execute(&mut *tx)
                .await
                .unwrap()
                .rows_affected();
            assert_eq!(deleted, 0, "{t}: tenant A deleted B's rows");
        }
        tx.rollback().await.unwrap();
    }

    // Writing a row for B while scoped to A violates the policy.
    let mut tx = app
        .state
        .db
        .begin(TenantScope::tenant(tenant_a))
        .await
        .unwrap();
    let err = sqlx::query(
        "insert into branches (id, tenant_id, name, time_zone) values ($1, $2, 'sneaky', 'UTC')",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_b)
    .execute(&mut *tx)
    .await
    .expect_err("insert for another tenant must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);
    let b_branches: i64 = sqlx::query_scalar("select count(*) from branches where tenant_id = $1")
        .bind(tenant_b)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(b_branches, 1, "B keeps exactly its branch {branch_b}");
}

#[tokio::test]
async fn one_pooled_connection_never_carries_a_tenant_into_the_next_request() {
    let app = spawn_app().await;
    let (_, tenant_b, _) = app.other_tenant("brand-b").await;
    let db = Db::connect_with(app.db.app_options(), 1).await.unwrap();
    for _ in 0..3 {
        for (tenant, expected) in [(app.demo.tenant_id, 2i64), (tenant_b, 1)] {
            let mut tx = db.begin(TenantScope::tenant(tenant)).await.unwrap();
            let ids: Vec<Uuid> = sqlx::query_scalar("select tenant_id from branches")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            assert_eq!(ids.len() as i64, expected);
            assert!(ids.iter().all(|t| *t == tenant));
            tx.commit().await.unwrap();
        }
        // A rolled-back scope does not linger either.
        let mut tx = db.begin(TenantScope::tenant(tenant_b)).await.unwrap();
        sqlx::query("select 1").execute(&mut *tx).await.unwrap();
        tx.rollback().await.unwrap();
        let leaked: i64 = sqlx::query_scalar("select count(*) from branches")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(leaked, 0, "a query after the transaction sees no tenant");
    }
}

#[tokio::test]
async fn tenant_b_ids_in_tenant_a_requests_are_not_found_and_lists_hold_only_a() {
    let app = spawn_app().await;
    let (token_b, tenant_b, branch_b) = app.other_tenant("brand-b").await;
    let device_b = app
        .post(
            &format!("/api/branches/{branch_b}/devices"),
            Some(&token_b),
            json!({ "kind": "pos", "name": "B till" }),
        )
        .await
        .expect(201)["device"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        "/api/staff",
        Some(&token_b),
        json!({ "email": "cook@brand-b.test", "password": "long-enough-pw", "displayName": "B cook",
                "role": "kitchen", "branchId": branch_b, "pin": "1111" }),
    )
    .await
    .expect(201);

    let owner_a = app.owner().await;
    app.get(&format!("/api/branches/{branch_b}"), &owner_a)
        .await
        .expect(404);
    app.call(
        reqwest::Method::PUT,
        &format!("/api/branches/{branch_b}"),
        Some(&owner_a),
        Some(branch_body("hijack")),
    )
    .await
    .expect(404);
    app.get(&format!("/api/branches/{branch_b}/devices"), &owner_a)
        .await
        .expect(404);
    app.post(
        &format!("/api/branches/{branch_b}/devices"),
        Some(&owner_a),
        json!({ "kind": "kds", "name": "x" }),
    )
    .await
    .expect(404);
    app.post(
        &format!("/api/devices/{device_b}/revoke"),
        Some(&owner_a),
        json!({}),
    )
    .await
    .expect(404);
    let res = app
        .post(
            "/api/staff",
            Some(&owner_a),
            json!({ "email": "spy@demo.test", "password": "long-enough-pw", "displayName": "Spy",
                    "role": "cashier", "branchId": branch_b }),
        )
        .await;
    assert_eq!(
        res.status, 422,
        "B's branch does not exist for A: {}",
        res.body
    );

    let branches = app.get("/api/branches", &owner_a).await.expect(200);
    assert!(
        branches
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["id"] != branch_b.to_string())
    );
    assert_eq!(branches.as_array().unwrap().len(), 2);
    let staff = app.get("/api/staff", &owner_a).await.expect(200);
    assert!(
        staff
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["email"].as_str().unwrap().ends_with("brand-b.test"))
    );
    let me = app.get("/api/me", &owner_a).await.expect(200);
    assert_eq!(me["tenant"]["slug"], "demo");

    // And B sees none of A.
    let b_branches = app.get("/api/branches", &token_b).await.expect(200);
    assert_eq!(b_branches.as_array().unwrap().len(), 1);
    app.get(&format!("/api/branches/{}", app.demo.riyadh), &token_b)
        .await
        .expect(404);
    let b_staff = app.get("/api/staff", &token_b).await.expect(200);
    assert_eq!(
        b_staff.as_array().unwrap().len(),
        2,
        "B's owner and cook only"
    );
    let me_b = app.get("/api/me", &token_b).await.expect(200);
    assert_eq!(me_b["tenant"]["id"], tenant_b.to_string());
}
