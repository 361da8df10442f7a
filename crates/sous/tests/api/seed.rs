//! `serve` seeds the demo brand into an empty database only.

use crate::helpers::settings;
use platform::{AppState, db::Db, testing::TestDb};

#[tokio::test]
async fn demo_is_seeded_into_an_empty_database_once() {
    let db = TestDb::new().await;
    let state = AppState::new(
        Db::connect_with(db.app_options(), 2).await.unwrap(),
        settings(),
    )
    .unwrap();
    let owner = db.owner_options();
    let (a, b) = tokio::join!(
        sous::bootstrap::seed_if_empty(&owner, &state),
        sous::bootstrap::seed_if_empty(&owner, &state)
    );
    assert!(
        a.unwrap() ^ b.unwrap(),
        "exactly one of two concurrent starts seeds"
    );
    assert!(
        !sous::bootstrap::seed_if_empty(&owner, &state)
            .await
            .unwrap()
    );
    let mut conn = db.owner_conn().await;
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(users, 7, "six staff and one customer");
    let pins: i64 =
        sqlx::query_scalar("select count(*) from memberships where pin_hash is not null")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(pins, 6);
    let zones: Vec<String> =
        sqlx::query_scalar("select time_zone from branches order by time_zone")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(zones, ["Asia/Dubai", "Asia/Riyadh"]);
}

#[tokio::test]
async fn a_database_with_real_brands_is_not_seeded() {
    let db = TestDb::new().await;
    let state = AppState::new(
        Db::connect_with(db.app_options(), 2).await.unwrap(),
        settings(),
    )
    .unwrap();
    let mut conn = db.owner_conn().await;
    sqlx::query("insert into tenants (id, slug, name) values ($1, 'real-brand', 'Real')")
        .bind(uuid::Uuid::now_v7())
        .execute(&mut conn)
        .await
        .unwrap();
    assert!(
        !sous::bootstrap::seed_if_empty(&db.owner_options(), &state)
            .await
            .unwrap()
    );
    let demo: i64 = sqlx::query_scalar("select count(*) from tenants where slug = 'demo'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(demo, 0);
}
