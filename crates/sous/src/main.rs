//! `sous`: the restaurant platform in one binary.

use clap::{Parser, Subcommand};
use platform::{config::Settings, embedded_pg::Mode};
use sous::bootstrap::{Database, SeedWhen, seed};

// jemalloc rather than glibc's malloc: a checkout builds and frees tens of kB of JSON, and
// glibc spent ~20 % of the server's CPU in malloc/free and in consolidating its free lists
// (perf, `bench checkout`); jemalloc gave 5–7 % more orders/s there, at 19.0 kB per idle SSE
// stream (mimalloc was as fast but took 21.4 kB; the target is < 20 kB).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "sous", version, about = "Run a restaurant brand end to end")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and workers); starts the embedded PostgreSQL unless SOUS_DATABASE_URL is set.
    Serve {
        /// Refuse to start an embedded PostgreSQL (SOUS_DATABASE_URL must be set).
        #[arg(long)]
        no_embedded: bool,
        /// Do not start the web app server.
        #[arg(long)]
        no_web: bool,
        /// Port to listen on (overrides SOUS_LISTEN's port).
        #[arg(long)]
        port: Option<u16>,
        /// Seed the demo brand into an empty database (the `seed_demo` setting); refused with
        /// SOUS_ENV=production.
        #[arg(long)]
        demo: bool,
    },
    /// Run task workers only (no API), alongside `sous serve` or on other machines.
    Worker {
        /// Refuse to start an embedded PostgreSQL (SOUS_DATABASE_URL must be set).
        #[arg(long)]
        no_embedded: bool,
        /// Tasks run at once (default: the `worker_concurrency` setting).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Seed the demo brand into a database that does not have it.
    Seed,
    /// Print what sous finds on this machine.
    Doctor,
    /// Run a command against a throwaway PostgreSQL cluster (used by `make test`).
    #[command(hide = true)]
    TestCluster {
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load()?;
    platform::http::init_tracing(settings.log_format);
    match cli.command {
        Command::Serve {
            no_embedded,
            no_web,
            port,
            demo,
        } => {
            if let Some(port) = port {
                settings.listen.set_port(port);
            }
            settings.seed_demo |= demo;
            sous::bootstrap::serve(settings, !no_embedded, !no_web).await
        }
        Command::Worker {
            no_embedded,
            concurrency,
        } => {
            let concurrency = concurrency.unwrap_or(settings.worker_concurrency);
            sous::bootstrap::work(settings, !no_embedded, concurrency).await
        }
        Command::Migrate => {
            let db = Database::open(&settings, true, Mode::AttachOrStart).await?;
            let result = platform::db::migrate(&db.owner_url).await;
            db.close().await?;
            result?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            settings.seed_demo = true;
            sous::production::check_settings(&settings)?;
            let db = Database::open(&settings, true, Mode::AttachOrStart).await?;
            let result = async {
                let state = db.prepare(&settings).await?;
                seed(&db.owner_url.parse()?, &state, SeedWhen::DemoMissing).await
            }
            .await;
            db.close().await?;
            println!(
                "{}",
                if result? {
                    "demo brand seeded"
                } else {
                    "demo brand already present"
                }
            );
            Ok(())
        }
        Command::Doctor => {
            if !sous::doctor::run(&settings) {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::TestCluster { command } => {
            let code = sous::test_cluster::run(&command).await?;
            std::process::exit(code);
        }
    }
}
