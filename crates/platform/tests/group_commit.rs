//! Group commit writes concurrent rows of one caller together, answers each row on its own,
//! and lets a bad row fail only itself.

use std::sync::Arc;

use futures::future::BoxFuture;
use platform::{
    db::{Db, TenantScope},
    group_commit::{Batched, GroupCommit, Outcome, Row},
    testing::TestDb,
};
use sqlx::Connection;
use tokio::sync::Barrier;
use uuid::Uuid;

/// A brand, a table for the rows and a batch function with the group-commit contract: rows
/// with `skip` come back with an answer instead of being written; a row with `fail` fails its
/// batch. A row is written as its `m` when it has one (see [`PREPARED`]), else as its `n`,
/// with its document beside it.
async fn setup(db: &TestDb) -> Uuid {
    let tenant = Uuid::now_v7();
    let mut conn = db.owner_conn().await;
    sqlx::query("insert into tenants (id, slug, name) values ($1, $2, 'T')")
        .bind(tenant)
        .bind(format!("t-{}", &tenant.simple().to_string()[..12]))
        .execute(&mut conn)
        .await
        .unwrap();
    for sql in [
        "create table gc_rows (tenant_id uuid not null, n integer primary key, doc text, \
         tx xid8 not null default pg_current_xact_id())",
        "grant select, insert on gc_rows to sous_app",
        "create function gc_probe(p jsonb, d text[]) \
         returns table (batch_position integer, answer jsonb) \
         language plpgsql as $$ \
         begin \
           if exists (select from jsonb_array_elements(p) x where (x ->> 'fail')::boolean) then \
             raise exception 'a row that fails'; \
           end if; \
           insert into gc_rows (tenant_id, n, doc) \
             select app_tenant_id(), coalesce((x ->> 'm')::integer, (x ->> 'n')::integer), d[i] \
               from jsonb_array_elements(p) with ordinality e(x, i) \
              where not coalesce((x ->> 'skip')::boolean, false); \
           return query select (i - 1)::integer, jsonb_build_object('skipped', x -> 'n') \
             from jsonb_array_elements(p) with ordinality e(x, i) \
            where coalesce((x ->> 'skip')::boolean, false); \
         end $$",
        "grant execute on function gc_probe(jsonb, text[]) to sous_app",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    tenant
}

const PROBE: Batched = Batched {
    function: "gc_probe",
    prepare: None,
};

/// `gc_probe` with a prepare step: each row gets `m = n + 1000` and the document `m`, and a
/// batch with a row marked `refuse` cannot be prepared.
const PREPARED: Batched = Batched {
    function: "gc_probe",
    prepare: Some(add_thousand),
};

fn add_thousand<'a>(_db: &'a Db, rows: &'a mut [Row]) -> BoxFuture<'a, platform::Result<()>> {
    Box::pin(async move {
        if rows.iter().any(|r| r.fields["refuse"] == true) {
            return Err(anyhow::anyhow!("a row that cannot be prepared").into());
        }
        for row in rows {
            let m = row.fields["n"].as_i64().unwrap() + 1000;
            row.fields["m"] = m.into();
            row.document = Some(m.to_string());
        }
        Ok(())
    })
}

/// A row of fields `v` whose document is `doc <i>`.
fn with_doc(i: i32, v: serde_json::Value) -> Row {
    Row {
        fields: v,
        document: Some(format!("doc {i}")),
    }
}

/// Writes rows `0..n` at once as `kind`, each built by `row`.
async fn write_all(
    app: &Db,
    kind: Batched,
    tenant: Uuid,
    n: i32,
    row: fn(i32) -> Row,
) -> Vec<platform::Result<Outcome>> {
    let group = Arc::new(GroupCommit::default());
    let start = Arc::new(Barrier::new(n as usize));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (group, app, start) = (group.clone(), app.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                group
                    .write(&app, kind, TenantScope::tenant(tenant), row(i))
                    .await
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rows_share_transactions_and_each_gets_its_own_answer() {
    let db = TestDb::new().await;
    let tenant = setup(&db).await;
    let app = Db::connect_with(db.app_options(), 8).await.unwrap();

    let outcomes = write_all(&app, PROBE, tenant, 40, |i| {
        with_doc(i, serde_json::json!({ "n": i, "skip": i % 10 == 3 }))
    })
    .await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome.unwrap() {
            Outcome::Answered(answer) => {
                assert_eq!(i % 10, 3, "row {i} was not written");
                assert_eq!(answer, serde_json::json!({ "skipped": i }), "row {i}");
            }
            Outcome::Written(row) => {
                assert_ne!(i % 10, 3, "row {i} was written");
                assert_eq!(row.fields["n"], i, "each caller gets its own row back");
                assert_eq!(row.document, Some(format!("doc {i}")));
            }
        }
    }
    let mut owner = db.owner_conn().await;
    let (rows, transactions, tenants, misplaced): (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*), count(distinct tx), count(distinct tenant_id), \
                count(*) filter (where doc is distinct from 'doc ' || n) from gc_rows",
    )
    .fetch_one(&mut owner)
    .await
    .unwrap();
    assert_eq!(rows, 36, "every row but the skipped ones, once");
    assert_eq!(misplaced, 0, "each row is written with its own document");
    assert_eq!(tenants, 1, "under the caller's scope");
    assert!(
        transactions < rows,
        "{rows} rows in {transactions} transactions: concurrent rows were not grouped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_row_that_fails_fails_alone() {
    let db = TestDb::new().await;
    let tenant = setup(&db).await;
    let app = Db::connect_with(db.app_options(), 8).await.unwrap();

    let outcomes = write_all(&app, PROBE, tenant, 30, |i| {
        serde_json::json!({ "n": i, "fail": i == 17 }).into()
    })
    .await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(Outcome::Written(_)) => assert_ne!(i, 17),
            Err(e) => {
                assert_eq!(i, 17, "only the bad row fails: {e}");
                assert!(e.to_string().contains("a row that fails"), "{e}");
            }
            Ok(Outcome::Answered(v)) => panic!("row {i}: unexpected answer {v}"),
        }
    }
    let mut owner = db.owner_conn().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from gc_rows where n <> 17")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(rows, 29);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rows_are_prepared_before_they_are_written_and_come_back_as_written() {
    let db = TestDb::new().await;
    let tenant = setup(&db).await;
    let app = Db::connect_with(db.app_options(), 8).await.unwrap();

    let outcomes = write_all(&app, PREPARED, tenant, 30, |i| {
        with_doc(i, serde_json::json!({ "n": i, "refuse": i == 11 }))
    })
    .await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(Outcome::Written(row)) => {
                assert_ne!(i, 11);
                assert_eq!(row.fields["m"], i + 1000, "row {i} comes back prepared");
                assert_eq!(row.document, Some((i + 1000).to_string()));
            }
            Err(e) => {
                assert_eq!(i, 11, "only the row that cannot be prepared fails: {e}");
                assert!(e.to_string().contains("cannot be prepared"), "{e}");
            }
            Ok(Outcome::Answered(v)) => panic!("row {i}: unexpected answer {v}"),
        }
    }
    let mut owner = db.owner_conn().await;
    let (rows, unprepared): (i64, i64) =
        sqlx::query_as("select count(*), count(*) filter (where doc <> n::text) from gc_rows")
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(
        (rows, unprepared),
        (29, 0),
        "every row but the refused one, as prepared"
    );
}
