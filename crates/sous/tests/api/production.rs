//! `sous serve` seeds the demo brand only when asked (`--demo`), and `SOUS_ENV=production`
//! refuses the demo brand.

use platform::testing::TestDb;

use crate::helpers::{ExternalSous, spawn_app};

async fn tenants(db: &TestDb) -> i64 {
    let mut conn = db.owner_conn().await;
    sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn serve_seeds_the_demo_only_with_the_demo_flag() {
    let db = TestDb::new().await;
    let mut plain = ExternalSous::start(&db, &[], &[]);
    plain.healthy().await;
    assert_eq!(tenants(&db).await, 0, "no demo brand without --demo");
    drop(plain);

    let mut demo = ExternalSous::start(&db, &["--demo"], &[]);
    demo.healthy().await;
    assert_eq!(tenants(&db).await, 1, "--demo seeds the empty database");
}

#[tokio::test]
async fn production_refuses_the_demo_brand() {
    // A database with the demo brand in it.
    let app = spawn_app().await;
    let mut refused = ExternalSous::start(&app.db, &[], &[("SOUS_ENV", "production")]);
    let status = refused.exited().await;
    assert!(!status.success());
    let err = refused.stderr();
    assert!(
        err.contains("SOUS_ENV=production") && err.contains("demo brand"),
        "a clear reason: {err}"
    );

    // Asking for the demo in production is refused before anything is seeded.
    let empty = TestDb::new().await;
    let mut asked = ExternalSous::start(&empty, &["--demo"], &[("SOUS_ENV", "production")]);
    assert!(!asked.exited().await.success());
    assert!(asked.stderr().contains("--demo"));
    assert_eq!(tenants(&empty).await, 0);

    // Without the demo brand production starts.
    let mut fine = ExternalSous::start(&empty, &[], &[("SOUS_ENV", "production")]);
    fine.healthy().await;
}
