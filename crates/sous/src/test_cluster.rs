//! `sous test-cluster -- <command>`: the throwaway cluster behind `make test`. It starts an
//! embedded PostgreSQL in a fresh temporary directory, migrates a template database, runs the
//! command with `SOUS_TEST_ADMIN_URL`/`SOUS_TEST_TEMPLATE` set, stops the cluster and removes it.

use std::os::unix::fs::PermissionsExt;

use anyhow::Context;
use platform::{
    embedded_pg::EmbeddedPg,
    testing_env::{ADMIN_URL_ENV, TEMPLATE_ENV},
};

pub const TEMPLATE: &str = "sous_template";

pub async fn run(command: &[String]) -> anyhow::Result<i32> {
    let (program, args) = command.split_first().context("no command given")?;
    let dir = std::env::temp_dir().join(format!("sous-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    // The server may run as `postgres`, which must be able to enter the directory.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    let pg = EmbeddedPg::start(&dir.join("pg")).await?;
    let outcome = async {
        pg.ensure_database(TEMPLATE).await?;
        platform::db::migrate(&pg.url(TEMPLATE)).await?;
        let status = tokio::process::Command::new(program)
            .args(args)
            .env(ADMIN_URL_ENV, pg.url("postgres"))
            .env(TEMPLATE_ENV, TEMPLATE)
            .status()
            .await
            .with_context(|| format!("running {program}"))?;
        anyhow::Ok(status.code().unwrap_or(1))
    }
    .await;
    pg.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}
