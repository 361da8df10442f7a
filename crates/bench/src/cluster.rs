//! The throwaway database behind a run: an embedded PostgreSQL in a fresh temporary directory,
//! the `sous` database migrated and the demo brand (with its menu) seeded, exactly as `sous serve`
//! would leave it.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use anyhow::Context;
use platform::{AppState, config::Settings, db::Db, embedded_pg::EmbeddedPg};
use tempfile::TempDir;

pub struct BenchCluster {
    pg: EmbeddedPg,
    /// `sous`'s data dir (JWT key, PIN pepper), shared by the seed and the served processes.
    data_dir: PathBuf,
    /// Removed on drop, after the cluster has stopped.
    dir: TempDir,
}

impl BenchCluster {
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("sous-bench-")
            .tempdir()
            .context("creating the temporary directory")?;
        // As root the server runs as `postgres`, which must be able to enter the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let pg = EmbeddedPg::start(&dir.path().join("pg"))
            .await
            .context("starting the embedded PostgreSQL")?;
        let data_dir = dir.path().join("data");
        let cluster = Self { pg, data_dir, dir };
        // A failed set-up must not leave the server running.
        if let Err(e) = cluster.prepare().await {
            let _ = cluster.stop().await;
            return Err(e);
        }
        Ok(cluster)
    }

    /// Migrates and seeds (identity, then catalog) the way `bootstrap.rs` does, with an
    /// `AppState` of its own.
    async fn prepare(&self) -> anyhow::Result<()> {
        let url = self.owner_url();
        platform::db::migrate(&url)
            .await
            .context("applying migrations")?;
        let settings = Settings {
            database_url: Some(url.clone()),
            data_dir: self.data_dir.clone(),
            ..Settings::default()
        };
        let db = Db::connect(&url, None, 4).await?;
        let state = AppState::new(db, settings)?;
        let demo = identity::seed::run(&state)
            .await
            .context("seeding the demo brand")?
            .context("the fresh database already had the demo brand")?;
        catalog::seed::run(&state, demo.tenant_id, demo.dubai)
            .await
            .context("seeding the demo menu")?;
        state.db.pool.close().await;
        Ok(())
    }

    pub fn pg(&self) -> &EmbeddedPg {
        &self.pg
    }

    /// The owner URL of the application database, as `SOUS_DATABASE_URL` takes it.
    pub fn owner_url(&self) -> String {
        self.pg.url(platform::embedded_pg::DATABASE)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Scratch space for logs of the processes the run starts.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// Fast shutdown of the server, then the directory goes.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Self { pg, dir, .. } = self;
        let stopped = pg.stop().await;
        drop(dir);
        stopped
    }
}
