//! From settings to a running system: the database (embedded unless a URL is configured),
//! migrations, the application pool and state, the demo seed, the HTTP server.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use platform::{AppState, config::Settings, db::Db, embedded_pg::EmbeddedPg};
use sqlx::postgres::PgConnectOptions;

/// The database the process uses, and the embedded cluster when it runs one.
pub struct Database {
    pub owner_url: String,
    pub app_url: Option<String>,
    pub embedded: Option<EmbeddedPg>,
}

impl Database {
    /// `SOUS_DATABASE_URL` wins; otherwise an embedded cluster in `data_dir/pg` is started.
    pub async fn open(settings: &Settings, allow_embedded: bool) -> anyhow::Result<Self> {
        if let Some(url) = &settings.database_url {
            return Ok(Self {
                owner_url: url.clone(),
                app_url: settings.app_database_url.clone(),
                embedded: None,
            });
        }
        if !allow_embedded {
            bail!("--no-embedded needs SOUS_DATABASE_URL");
        }
        let pg = EmbeddedPg::start(&settings.pg_dir()).await?;
        Ok(Self {
            owner_url: pg.url(platform::embedded_pg::DATABASE),
            app_url: settings.app_database_url.clone(),
            embedded: Some(pg),
        })
    }

    /// Migrates, then connects the application pool and builds the state.
    pub async fn prepare(&self, settings: &Settings) -> anyhow::Result<AppState> {
        platform::db::migrate(&self.owner_url)
            .await
            .context("applying migrations")?;
        let db = Db::connect(
            &self.owner_url,
            self.app_url.as_deref(),
            settings.db_pool_size,
        )
        .await?;
        AppState::new(db, settings.clone())
    }

    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(pg) = self.embedded {
            pg.stop().await?;
        }
        Ok(())
    }
}

/// Seeds every context's demo data (only into a database without the demo brand).
pub async fn seed(state: &AppState) -> anyhow::Result<bool> {
    Ok(identity::seed::run(state).await?.is_some())
}

/// Seeds the demo brand into an empty database (no brand at all), once: instances that start
/// together serialise on an advisory lock, and a database that holds real brands is left alone.
pub async fn seed_if_empty(owner: &PgConnectOptions, state: &AppState) -> anyhow::Result<bool> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(owner).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtext('sous.seed'))")
        .execute(&mut *tx)
        .await?;
    // The owner reads past RLS (checked by `migrate`), so this sees every brand.
    let empty: bool = sqlx::query_scalar("select not exists(select 1 from tenants)")
        .fetch_one(&mut *tx)
        .await?;
    let seeded = empty && seed(state).await?;
    tx.commit().await?;
    Ok(seeded)
}

pub fn print_banner(addr: SocketAddr) {
    let base = format!("http://{addr}");
    println!(
        "\nsous is running\n\
         \n  API            {base}/api\
         \n  Health         {base}/api/health\
         \n  API reference  {base}/api/docs  (spec: {base}/api/openapi.json)\
         \n\nDemo brand `demo` — password `{pw}` for every login:\
         \n  owner@demo.sous.test    PIN 1111\
         \n  manager@demo.sous.test  PIN 2222\
         \n  cashier@demo.sous.test  PIN 3333\
         \n  waiter@demo.sous.test   PIN 4444\
         \n  kitchen@demo.sous.test  PIN 5555\
         \n  driver@demo.sous.test   PIN 6666\
         \n  guest@demo.sous.test    (customer)\n",
        pw = identity::seed::DEMO_PASSWORD
    );
}

/// Serves until SIGINT/SIGTERM, then drains requests and stops the embedded cluster.
pub async fn serve(settings: Settings, allow_embedded: bool) -> anyhow::Result<()> {
    let database = Database::open(&settings, allow_embedded).await?;
    let result = run_server(&database, &settings).await;
    database.close().await?;
    result
}

async fn run_server(database: &Database, settings: &Settings) -> anyhow::Result<()> {
    let state = database.prepare(settings).await?;
    let owner: PgConnectOptions = database.owner_url.parse()?;
    if settings.seed_demo && seed_if_empty(&owner, &state).await? {
        tracing::info!("demo data seeded into the empty database");
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let app = crate::app::build(state.clone());
    tracing::info!(%addr, "listening");
    print_banner(addr);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(platform::http::shutdown_signal())
    .await?;
    state.db.pool.close().await;
    tracing::info!("stopped");
    Ok(())
}
