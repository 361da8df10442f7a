//! Two instances migrating the same empty database at once: the advisory lock serialises them
//! and every migration is applied exactly once.

use std::str::FromStr;

use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};

#[tokio::test]
async fn concurrent_migrations_apply_once() {
    let admin = std::env::var(platform::testing::ADMIN_URL_ENV).expect("run with make test");
    let name = format!("m_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("create database {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = PgConnectOptions::from_str(&admin).unwrap().database(&name);
    let migrate = || async {
        let mut c = PgConnection::connect_with(&url).await.unwrap();
        platform::db::MIGRATOR.run(&mut c).await
    };
    let (a, b) = tokio::join!(migrate(), migrate());
    a.unwrap();
    b.unwrap();
    let mut c = PgConnection::connect_with(&url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(applied as usize, platform::db::MIGRATOR.iter().count());
    c.close().await.unwrap();
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
