//! From settings to a running system: the database (embedded unless a URL is configured),
//! migrations, the application pool and state, the demo seed, the HTTP server.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use platform::{
    AppState,
    config::Settings,
    db::Db,
    embedded_pg::{EmbeddedPg, Mode, Stopped},
};
use sqlx::postgres::PgConnectOptions;

pub use crate::production::has_demo;
use crate::{production::demo_tenant, shutdown::Deadline};

/// The database the process uses, and the embedded cluster when it runs one.
pub struct Database {
    pub owner_url: String,
    pub app_url: Option<String>,
    pub embedded: Option<EmbeddedPg>,
}

impl Database {
    /// `SOUS_DATABASE_URL` wins; otherwise an embedded cluster in `data_dir/pg` is started.
    pub async fn open(
        settings: &Settings,
        allow_embedded: bool,
        mode: Mode,
    ) -> anyhow::Result<Self> {
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
        let pg = EmbeddedPg::start_with(&settings.pg_dir(), mode).await?;
        // A server that dies under a running sous is started again.
        pg.supervise();
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
        self.close_within(platform::embedded_pg::STOP_LIMIT).await;
        Ok(())
    }

    /// Stops the embedded server, if this process runs one, within `limit`.
    pub async fn close_within(self, limit: std::time::Duration) {
        let Some(pg) = self.embedded else { return };
        match pg.stop_within(limit).await {
            Stopped::Clean | Stopped::NotRunning => {}
            Stopped::Immediate => tracing::warn!(
                "PostgreSQL needed an immediate shutdown; crash recovery runs on the next start"
            ),
            Stopped::Killed => tracing::warn!(
                "PostgreSQL did not stop in time and was killed; crash recovery runs on the next start"
            ),
        }
    }

    /// Stops the embedded server in the time a run's shutdown left (`shutdown_timeout` when
    /// the run failed before it got to shut down).
    async fn close_after(self, run: &anyhow::Result<Deadline>, settings: &Settings) {
        let limit = match run {
            Ok(deadline) => deadline.remaining(),
            Err(_) => settings.shutdown_limit(),
        };
        self.close_within(limit).await;
    }

    /// Where the data lives, for the start-up output.
    pub fn describe(&self) -> String {
        match &self.embedded {
            Some(pg) if pg.configured_dir() != pg.data_dir() => format!(
                "embedded PostgreSQL {} in {} (linked from {})",
                pg.install().version,
                pg.data_dir().display(),
                pg.configured_dir().display()
            ),
            Some(pg) => format!(
                "embedded PostgreSQL {} in {}",
                pg.install().version,
                pg.data_dir().display()
            ),
            None => "external PostgreSQL (SOUS_DATABASE_URL)".into(),
        }
    }
}

/// When to seed the demo brand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedWhen {
    /// Only into a database without any brand (what `serve` does).
    EmptyDatabase,
    /// Whenever there is no brand with the demo slug (`sous seed`).
    DemoMissing,
}

/// Seeds every context's demo data. Processes that start together serialise on an advisory
/// lock, so the demo is seeded once; a database holding real brands is left alone by `serve`.
pub async fn seed(
    owner: &PgConnectOptions,
    state: &AppState,
    when: SeedWhen,
) -> anyhow::Result<bool> {
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
    let seeded = if when == SeedWhen::DemoMissing || empty {
        match identity::seed::run(state).await? {
            Some(demo) => {
                catalog::seed::run(state, demo.tenant_id, demo.dubai).await?;
                ordering::seed::run(state, demo.tenant_id, demo.riyadh, demo.dubai).await?;
                fulfillment::seed::run(state, demo.tenant_id, &[demo.riyadh, demo.dubai]).await?;
                fulfillment::seed::delivery_zones(state, demo.tenant_id, demo.riyadh, demo.dubai)
                    .await?;
                true
            }
            None => false,
        }
    } else {
        false
    };
    tx.commit().await?;
    Ok(seeded)
}

/// What the start-up output shows of the demo brand.
pub struct DemoBanner {
    /// A table's label and its QR token, for a QR ordering URL that works.
    pub table: Option<(String, String)>,
}

/// The demo brand's banner details, `None` without the demo brand.
pub async fn demo_banner(state: &AppState) -> anyhow::Result<Option<DemoBanner>> {
    let Some(tenant_id) = demo_tenant(state).await? else {
        return Ok(None);
    };
    let table = ordering::seed::first_table(state, tenant_id).await?;
    Ok(Some(DemoBanner { table }))
}

/// `web_missing`: why the web app is not served (`None` when it is). `database`: where the
/// data lives.
pub fn print_banner(
    addr: SocketAddr,
    database: &str,
    demo: Option<&DemoBanner>,
    web_missing: Option<&str>,
) {
    let base = format!("http://{addr}");
    println!(
        "\nsous is running\n\
         \n  API            {base}/api\
         \n  Health         {base}/api/health\
         \n  API reference  {base}/api/docs  (spec: {base}/api/openapi.json)\
         \n  Database       {database}"
    );
    if let Some(why) = web_missing {
        println!("\n  Web app        not served: {why}");
    } else {
        println!(
            "\n  Website        {base}/en/  ·  {base}/ar/\
             \n  Menu           {base}/en/menu  ·  {base}/ar/menu\
             \n  Order online   {base}/en/order  ·  {base}/ar/order\
             \n  Kitchen (KDS)  {base}/en/kds  ·  {base}/ar/kds\
             \n  Till (POS)     {base}/en/pos  ·  {base}/ar/pos"
        );
        if demo.and_then(|d| d.table.as_ref()).is_none() {
            println!(
                "  QR table       {base}/en/t/ followed by a table's QR token \
                 (GET /api/branches/{{id}}/dining-tables lists them)"
            );
        }
    }
    let Some(demo) = demo else {
        return;
    };
    println!(
        "\nDemo brand `demo` — password `{pw}` for every login:\
         \n  owner@demo.sous.test    PIN 1111\
         \n  manager@demo.sous.test  PIN 2222\
         \n  cashier@demo.sous.test  PIN 3333\
         \n  waiter@demo.sous.test   PIN 4444\
         \n  kitchen@demo.sous.test  PIN 5555\
         \n  driver@demo.sous.test   PIN 6666  (Riyadh)\
         \n  driver.dubai@demo.sous.test  PIN 7777  (Dubai)\
         \n  guest@demo.sous.test    (customer: sign in with tenant \"demo\")",
        pw = identity::seed::DEMO_PASSWORD
    );
    if let Some((label, token)) = &demo.table {
        println!("  QR table {label}    {base}/en/t/{token}  ·  {base}/ar/t/{token}");
    }
    println!();
}

/// Serves until SIGINT/SIGTERM, then drains requests and stops the embedded cluster, all
/// within `shutdown_timeout`.
pub async fn serve(settings: Settings, allow_embedded: bool, web: bool) -> anyhow::Result<()> {
    let database = Database::open(&settings, allow_embedded, Mode::Own).await?;
    let result = run_server(&database, &settings, web).await;
    database.close_after(&result, &settings).await;
    tracing::info!("stopped");
    result.map(|_| ())
}

/// Runs the server until a signal, then stops what it started, each part within its share of
/// the deadline, which it returns for the database's stop.
async fn run_server(
    database: &Database,
    settings: &Settings,
    web: bool,
) -> anyhow::Result<Deadline> {
    crate::production::check_settings(settings)?;
    let state = database.prepare(settings).await?;
    crate::production::check_database(settings, &state).await?;
    let owner: PgConnectOptions = database.owner_url.parse()?;
    if settings.seed_demo && seed(&owner, &state, SeedWhen::EmptyDatabase).await? {
        tracing::info!("demo data seeded into the empty database");
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let events = platform::events::listener::Listener::new(owner, state.bus.clone()).await?;
    let mut events = tokio::spawn(events.run(state.shutdown.clone()));
    tokio::spawn(
        state
            .public_cache
            .clone()
            .follow(state.bus.clone(), state.shutdown.clone()),
    );
    let background = crate::background::Background::start(
        &database.owner_url,
        &state.db,
        settings,
        settings.worker_concurrency,
        true,
        state.shutdown.child_token(),
    )
    .await?;
    let (web_server, web) = if web {
        crate::web::WebServer::start(&settings.web_dir, addr).await?
    } else {
        let why = "This server runs with --no-web: it serves the API only.";
        let web = crate::web::Web::Absent {
            code: "web_app_disabled",
            why: why.into(),
        };
        (None, web)
    };
    let web_missing = match &web {
        crate::web::Web::Absent { why, .. } => Some(why.to_string()),
        crate::web::Web::Proxy { .. } => None,
    };
    let app = crate::app::build_with_web(state.clone(), web);
    tracing::info!(%addr, "listening");
    let demo = demo_banner(&state).await?;
    print_banner(
        addr,
        &database.describe(),
        demo.as_ref(),
        web_missing.as_deref(),
    );
    let shutdown = state.shutdown.clone();
    // No Nagle delay: a streamed answer (a proxied web page, an SSE event) goes out in several
    // writes, and waiting for the client's delayed ACK between them costs 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let serving = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let mut serving = tokio::spawn(std::future::IntoFuture::into_future(serving));
    let failed = tokio::select! {
        _ = platform::http::shutdown_signal() => None,
        served = &mut serving => Some(served),
    };
    // Ends event streams and background loops, so the drain can finish.
    shutdown.cancel();
    let deadline = Deadline::starting_now(settings.shutdown_limit());
    tracing::info!(limit = ?settings.shutdown_limit(), "shutting down");
    let served = match failed {
        Some(served) => served,
        None => match deadline
            .bounded("HTTP connections still open", &mut serving)
            .await
        {
            Some(served) => served,
            None => {
                serving.abort();
                Ok(Ok(()))
            }
        },
    };
    if let Some(web_server) = web_server {
        web_server.stop().await;
    }
    if deadline
        .bounded("the event listener", &mut events)
        .await
        .is_none()
    {
        events.abort();
    }
    // The signal stopped the workers from claiming; this waits for the tasks in flight.
    background.stop(&deadline).await;
    deadline
        .bounded(
            "closing the application pool (connections still in use)",
            state.db.pool.close(),
        )
        .await;
    served??;
    Ok(deadline)
}

/// `sous worker`: task workers only (no HTTP, no periodic jobs) until SIGINT/SIGTERM, then the
/// tasks in flight finish, within `shutdown_timeout`. With the embedded cluster it attaches to
/// the one `sous serve` runs on the same data dir (start `serve` first: the worker's database
/// goes when `serve` stops it).
pub async fn work(
    settings: Settings,
    allow_embedded: bool,
    concurrency: usize,
) -> anyhow::Result<()> {
    if concurrency == 0 {
        bail!("worker concurrency is 0, so there is nothing to run (use --concurrency N)");
    }
    let database = Database::open(&settings, allow_embedded, Mode::AttachOrStart).await?;
    let result = run_worker(&database, &settings, concurrency).await;
    database.close_after(&result, &settings).await;
    result.map(|_| ())
}

async fn run_worker(
    database: &Database,
    settings: &Settings,
    concurrency: usize,
) -> anyhow::Result<Deadline> {
    platform::db::migrate(&database.owner_url)
        .await
        .context("applying migrations")?;
    let db = Db::connect(
        &database.owner_url,
        database.app_url.as_deref(),
        settings.db_pool_size,
    )
    .await?;
    let mut background = crate::background::Background::start(
        &database.owner_url,
        &db,
        settings,
        concurrency,
        false,
        tokio_util::sync::CancellationToken::new(),
    )
    .await?;
    tracing::info!(concurrency, "sous worker running");
    let failed = tokio::select! {
        _ = platform::http::shutdown_signal() => false,
        _ = background.worker_ended() => true,
    };
    let deadline = Deadline::starting_now(settings.shutdown_limit());
    background.stop(&deadline).await;
    deadline
        .bounded("closing the application pool", db.pool.close())
        .await;
    if failed {
        bail!("the task worker stopped with an error (see the log above)");
    }
    tracing::info!("stopped");
    Ok(deadline)
}
