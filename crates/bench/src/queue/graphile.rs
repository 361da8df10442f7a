//! graphile-worker's side: `bench/graphile/run.mjs` on Node, in a database of its own.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail, ensure};
use platform::embedded_pg::EmbeddedPg;
use tokio::process::Command;

use super::{GRAPHILE_DATABASE, GraphileRound, QueueConfig};

/// `npm ci` of bench/graphile when its node_modules is missing.
const NPM_TIMEOUT: Duration = Duration::from_secs(300);
/// The Node side's migrations, bulk add and shutdown, on top of the round's own bound.
const NODE_OVERHEAD: Duration = Duration::from_secs(60);

/// The graphile database over the cluster's unix socket, in the form node-postgres reads
/// (`?host=<socket dir>` overrides the host part).
pub(super) fn graphile_url(pg: &EmbeddedPg) -> String {
    pg.url(GRAPHILE_DATABASE)
}

/// `npm ci` from the committed lock file when `node_modules` is missing (`make bench` does it
/// before; this covers running the binary directly). Never anything but the registry's tarballs.
pub(super) async fn ensure_graphile_installed(dir: &Path) -> anyhow::Result<()> {
    if dir
        .join("node_modules/graphile-worker/package.json")
        .is_file()
    {
        return Ok(());
    }
    println!("  installing bench/graphile (npm ci)…");
    let out = tokio::time::timeout(
        NPM_TIMEOUT,
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .with_context(|| format!("npm ci in {} took over {NPM_TIMEOUT:?}", dir.display()))?
    .context("running npm (Node 20 and npm are needed for the graphile-worker peer)")?;
    if !out.status.success() {
        bail!(
            "npm ci in {} failed ({}):\n{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The arguments of `node run.mjs` for one round.
pub(super) fn graphile_args(url: &str, cfg: &QueueConfig) -> Vec<String> {
    let timeout_s = cfg.round_timeout.as_secs().max(1);
    let poll_ms = cfg.poll_interval.as_millis().max(1);
    let delay = cfg.graphile_batch_delay_ms.to_string();
    [
        ("--url", url.to_string()),
        ("--jobs", cfg.tasks.to_string()),
        ("--add-batch", cfg.enqueue_batch.to_string()),
        ("--concurrency", cfg.concurrency.to_string()),
        ("--local-queue", cfg.graphile_local_queue.to_string()),
        ("--complete-batch-delay", delay.clone()),
        ("--fail-batch-delay", delay),
        ("--poll-ms", poll_ms.to_string()),
        ("--timeout", timeout_s.to_string()),
    ]
    .into_iter()
    // `--key=value`: node's parseArgs takes a separate "-1" for an option of its own.
    .map(|(k, v)| format!("{k}={v}"))
    .collect()
}

/// The result line of run.mjs: the last line of stdout that parses.
pub(super) fn parse_graphile(stdout: &str) -> anyhow::Result<GraphileRound> {
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line.trim()).ok())
        .with_context(|| format!("no result line in the graphile-worker output:\n{stdout}"))
}

pub(super) async fn graphile_round(
    dir: &Path,
    url: &str,
    cfg: &QueueConfig,
) -> anyhow::Result<GraphileRound> {
    let script: PathBuf = dir.join("run.mjs");
    let bound = cfg.round_timeout + NODE_OVERHEAD;
    let out = tokio::time::timeout(
        bound,
        Command::new("node")
            .arg(&script)
            .args(graphile_args(url, cfg))
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .with_context(|| format!("graphile-worker's round took over {bound:?}"))?
    .context("starting node (Node 20 is needed for the graphile-worker peer)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{} failed ({}):\n{stdout}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let round = parse_graphile(&stdout)?;
    ensure!(
        round.jobs == cfg.tasks,
        "graphile-worker ran {} jobs, {} were asked for",
        round.jobs,
        cfg.tasks
    );
    Ok(round)
}
