//! What is measured against the real `sous`: the health endpoint (the HTTP stack, the middleware
//! and one database round trip), the password login (argon2-bound by design) and the cold start.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    loadgen::{self, LoadConfig, LoadResult, Target},
    sous_proc::{Launcher, SousServer},
};

/// `GET /api/health`: every layer of a request plus `select 1` on the pool.
pub async fn health(server: &SousServer, cfg: &LoadConfig) -> anyhow::Result<LoadResult> {
    loadgen::run(&Target::get(server.addr, "/api/health"), cfg).await
}

/// `POST /api/auth/login` as the demo cashier: argon2id verification, two transactions and a
/// refresh token written per request.
pub async fn login(server: &SousServer, cfg: &LoadConfig) -> anyhow::Result<LoadResult> {
    let body = json!({
        "email": identity::seed::demo_email(platform::auth::Role::Cashier),
        "password": identity::seed::DEMO_PASSWORD,
    });
    loadgen::run(
        &Target::post_json(server.addr, "/api/auth/login", body),
        cfg,
    )
    .await
}

/// The demo brand's first branch (Riyadh), as `GET /api/brands/demo` lists it.
pub async fn demo_branch(addr: std::net::SocketAddr) -> anyhow::Result<uuid::Uuid> {
    let brand = loadgen::fetch_json(
        &Target::get(addr, "/api/brands/demo"),
        std::time::Duration::from_secs(30),
    )
    .await?;
    let id = brand["branches"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("GET /api/brands/demo: no branch"))?;
    Ok(id.parse()?)
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ColdStart {
    /// Process spawn → first 200 from `/api/health`, per run, in order.
    pub runs_ms: Vec<f64>,
    pub min_ms: f64,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub max_ms: f64,
}

/// `sous serve` from spawn to its first healthy answer, against the already migrated and seeded
/// database, `runs` times; each server is stopped with SIGTERM before the next starts.
pub async fn cold_start(launcher: &Launcher, runs: usize) -> anyhow::Result<ColdStart> {
    anyhow::ensure!(runs > 0, "cold start needs at least one run");
    let mut runs_ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (server, ready) = launcher.start_timed().await?;
        server.stop().await?;
        runs_ms.push(ready.as_secs_f64() * 1000.0);
    }
    let mut sorted = runs_ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(ColdStart {
        min_ms: sorted[0],
        median_ms: percentile(&sorted, 0.5),
        p90_ms: percentile(&sorted, 0.9),
        max_ms: sorted[sorted.len() - 1],
        runs_ms,
    })
}

/// Linear interpolation between the closest ranks of an ascending, non-empty slice.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_interpolate() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 0.5), 5.5);
        assert!((percentile(&v, 0.9) - 9.1).abs() < 1e-9);
        assert_eq!(percentile(&v, 1.0), 10.0);
        assert_eq!(percentile(&[42.0], 0.5), 42.0);
    }
}
