//! `serve` seeds the demo brand into an empty database only; `sous seed` whenever it is missing.

use platform::{AppState, db::Db, testing::TestDb};
use sous::bootstrap::{SeedWhen, has_demo, seed};

use crate::helpers::settings;

async fn state(db: &TestDb) -> AppState {
    AppState::new(
        Db::connect_with(db.app_options(), 2).await.unwrap(),
        settings(),
    )
    .unwrap()
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let mut conn = db.owner_conn().await;
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

#[tokio::test]
async fn demo_is_seeded_into_an_empty_database_once() {
    let db = TestDb::new().await;
    let state = state(&db).await;
    let owner = db.owner_options();
    let (a, b) = tokio::join!(
        seed(&owner, &state, SeedWhen::EmptyDatabase),
        seed(&owner, &state, SeedWhen::EmptyDatabase)
    );
    assert!(
        a.unwrap() ^ b.unwrap(),
        "exactly one of two concurrent starts seeds"
    );
    assert!(!seed(&owner, &state, SeedWhen::EmptyDatabase).await.unwrap());
    assert!(
        !seed(&owner, &state, SeedWhen::DemoMissing).await.unwrap(),
        "the demo exists"
    );
    assert!(has_demo(&state).await.unwrap());

    assert_eq!(
        count(&db, "select count(*) from users").await,
        7,
        "seven staff (two drivers)"
    );
    assert_eq!(
        count(&db, "select count(*) from customer_accounts").await,
        1,
        "one customer, of the demo brand"
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from memberships where pin_hash is not null"
        )
        .await,
        7
    );
    let mut conn = db.owner_conn().await;
    let zones: Vec<String> =
        sqlx::query_scalar("select time_zone from branches order by time_zone")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(zones, ["Asia/Dubai", "Asia/Riyadh"]);
    assert_eq!(
        count(
            &db,
            "select count(distinct floor_area) * 100 + count(*) from dining_tables"
        )
        .await,
        5 * 100 + 13,
        "thirteen tables in five floor areas across both branches"
    );
    // One delivery zone per branch, each around its branch: the branch's own spot is inside.
    let covered: Vec<bool> = sqlx::query_scalar(
        "select exists(select 1 from delivery_zone_at(b.id, b.lat, b.lng)) from branches b \
         order by b.time_zone",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(covered, [true, true]);
    assert_eq!(count(&db, "select count(*) from delivery_zones").await, 2);
}

#[tokio::test]
async fn a_database_with_real_brands_is_not_seeded_by_serve() {
    let db = TestDb::new().await;
    let state = state(&db).await;
    let mut conn = db.owner_conn().await;
    sqlx::query("insert into tenants (id, slug, name) values ($1, 'real-brand', 'Real')")
        .bind(uuid::Uuid::now_v7())
        .execute(&mut conn)
        .await
        .unwrap();
    assert!(
        !seed(&db.owner_options(), &state, SeedWhen::EmptyDatabase)
            .await
            .unwrap()
    );
    assert!(!has_demo(&state).await.unwrap());
    assert_eq!(
        count(&db, "select count(*) from tenants where slug = 'demo'").await,
        0
    );

    // `sous seed` adds the demo beside the real brand.
    assert!(
        seed(&db.owner_options(), &state, SeedWhen::DemoMissing)
            .await
            .unwrap()
    );
    assert_eq!(count(&db, "select count(*) from tenants").await, 2);
}
