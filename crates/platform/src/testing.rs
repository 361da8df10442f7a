//! Test support: a database per test, cloned from a migrated template on the throwaway cluster
//! that `sous test-cluster` (run by `make test`) starts, and dropped when the test ends.

use std::str::FromStr;

use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};

pub use crate::testing_env::{ADMIN_URL_ENV, TEMPLATE_ENV};

pub struct TestDb {
    pub name: String,
    admin_url: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let admin_url = std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| {
            panic!("{ADMIN_URL_ENV} is not set: run the tests with `make test` (sous test-cluster)")
        });
        let template = std::env::var(TEMPLATE_ENV).unwrap_or_else(|_| "sous_template".into());
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin_url)
            .await
            .expect("connect to test cluster");
        sqlx::query(&format!("create database {name} template {template}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        // Database privileges are not copied from the template: the clone gets PUBLIC's default
        // TEMP back, which the migrations revoke.
        sqlx::query(&format!("revoke temporary on database {name} from public"))
            .execute(&mut conn)
            .await
            .expect("revoke temporary");
        conn.close().await.ok();
        Self { name, admin_url }
    }

    /// An empty database with only the migrations older than `version` applied, for a test of
    /// what a migration does to rows written before it; [`TestDb::migrate`] applies the rest.
    pub async fn before(version: i64) -> Self {
        let admin_url = std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| {
            panic!("{ADMIN_URL_ENV} is not set: run the tests with `make test` (sous test-cluster)")
        });
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin_url)
            .await
            .expect("connect to test cluster");
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        conn.close().await.ok();
        let db = Self { name, admin_url };
        let older = sqlx::migrate::Migrator {
            migrations: crate::db::MIGRATOR
                .iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect::<Vec<_>>()
                .into(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        older
            .run(&mut db.owner_conn().await)
            .await
            .expect("older migrations");
        db
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) {
        crate::db::MIGRATOR
            .run(&mut self.owner_conn().await)
            .await
            .expect("migrations");
    }

    /// Owner connection options for this test's database.
    pub fn owner_options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.admin_url)
            .expect("admin url")
            .database(&self.name)
    }

    /// The owner URL of this test's database (for a `sous` process started by a test).
    pub fn owner_url(&self) -> String {
        let (base, params) = self
            .admin_url
            .split_once('?')
            .unwrap_or((self.admin_url.as_str(), ""));
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        match params {
            "" => format!("{server}/{}", self.name),
            params => format!("{server}/{}?{params}", self.name),
        }
    }

    /// Application-role (RLS-bound) connection options.
    pub fn app_options(&self) -> PgConnectOptions {
        self.owner_options().username(crate::db::APP_ROLE)
    }

    pub async fn owner_conn(&self) -> PgConnection {
        PgConnection::connect_with(&self.owner_options())
            .await
            .expect("owner connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = self.admin_url.clone();
        // Drop runs outside async; use a private runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&url).await.ok()?;
                sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut conn)
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}
