//! Security-definer functions take the brand from the transaction's scope, never from an
//! argument: a caller with the application role cannot name another brand to read or write
//! past row-level security.

use platform::db::{TenantScope, Tx, set_scope, tenant_call};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn no_security_definer_function_of_the_app_role_takes_a_brand_argument() {
    let app = spawn_app().await;
    let mut owner = app.db.owner_conn().await;
    let by_argument: Vec<String> = sqlx::query_scalar(
        "select p.oid::regprocedure::text from pg_proc p \
         join pg_namespace n on n.oid = p.pronamespace \
         where n.nspname = 'public' and p.prosecdef \
           and has_function_privilege('sous_app', p.oid, 'execute') \
           and pg_get_function_arguments(p.oid) ilike '%tenant%'",
    )
    .fetch_all(&mut owner)
    .await
    .unwrap();
    assert!(
        by_argument.is_empty(),
        "brand as an argument: {by_argument:?}"
    );
}

async fn scoped(app: &TestApp, tenant: Option<Uuid>) -> Tx {
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let scope = TenantScope {
        tenant_id: tenant,
        ..TenantScope::default()
    };
    set_scope(&mut tx, scope).await.unwrap();
    tx
}

#[tokio::test]
async fn another_brands_stored_answer_is_not_found_from_a_brands_scope() {
    let app = spawn_app().await;
    let (_, other, _) = app.other_tenant("answers").await;
    let key = Uuid::new_v4().to_string();
    sqlx::query(
        "insert into idempotency_keys (tenant_id, key, request_hash, response_status, response_body) \
         values ($1, $2, '\\x00', 201, '{}')",
    )
    .bind(other)
    .bind(&key)
    .execute(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    let read = "select response_status from idempotency_answer($1)";

    let mut tx = scoped(&app, Some(app.demo.tenant_id)).await;
    let found: Option<i32> = sqlx::query_scalar(read)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(found, None, "another brand's answer was read");
    tx.rollback().await.unwrap();

    let mut tx = scoped(&app, Some(other)).await;
    let found: Option<i32> = sqlx::query_scalar(read)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(found, Some(201), "the brand's own answer");
    tx.rollback().await.unwrap();

    let mut tx = scoped(&app, None).await;
    let err = sqlx::query_scalar::<_, i32>(read)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scope"), "{err}");
    tx.rollback().await.unwrap();

    // The pooled, transaction-less call sous makes sets the scope itself, for that statement.
    let call = tenant_call("f.response_status", "idempotency_answer", &["$2::text"]);
    for (tenant, expected) in [(app.demo.tenant_id, None), (other, Some(201))] {
        let found: Option<i32> = sqlx::query_scalar(&call)
            .bind(tenant.to_string())
            .bind(&key)
            .fetch_optional(&app.state.db.pool)
            .await
            .unwrap();
        assert_eq!(found, expected);
    }
}

const CLAIM: &str = "select first_number from sous_claim_order_numbers($1, 1)";

/// The SQLSTATE a claim of one order number for `branch` is refused with, under `tenant`'s
/// scope (or none).
async fn claim_refusal(app: &TestApp, tenant: Option<Uuid>, branch: Uuid) -> String {
    let mut tx = scoped(app, tenant).await;
    let err = sqlx::query_scalar::<_, i32>(CLAIM)
        .bind(branch)
        .fetch_one(&mut *tx)
        .await
        .unwrap_err();
    tx.rollback().await.unwrap();
    match &err {
        sqlx::Error::Database(d) => d.code().unwrap_or_default().into_owned(),
        _ => panic!("not a database refusal: {err}"),
    }
}

#[tokio::test]
async fn order_numbers_of_another_brands_branch_are_refused() {
    let app = spawn_app().await;
    let (_, other, other_branch) = app.other_tenant("numbers").await;
    assert_eq!(
        claim_refusal(&app, Some(app.demo.tenant_id), other_branch).await,
        "P0002"
    );
    assert_eq!(claim_refusal(&app, None, other_branch).await, "42501");

    let mut tx = scoped(&app, Some(other)).await;
    let first: i32 = sqlx::query_scalar(CLAIM)
        .bind(other_branch)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(first, 1);
    tx.rollback().await.unwrap();

    let mut owner = app.db.owner_conn().await;
    let counters: i64 =
        sqlx::query_scalar("select count(*) from order_counters where branch_id = $1")
            .bind(other_branch)
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(counters, 0, "a refused or rolled-back claim counts nothing");
}
