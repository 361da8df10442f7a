//! The catalog's two benchmarks, against one `sous serve`:
//!
//! - **cached menu**: `GET /api/branches/{Riyadh}/menu` of the demo brand, served from process
//!   memory, against the bare axum app answering a static body of the same bytes with the same
//!   headers, both at the same (high) number of connections;
//! - **search at scale**: 100 000 items across 200 brands and 1 000 branches, written straight
//!   into the tables with `insert … select … generate_series` as the owner, every branch's menu
//!   read once (which builds its cache, and with it the item ids search filters by), then
//!   `GET /api/branches/{b}/menu/search?q=…` over every branch and five classes of query, each
//!   class's latencies reported on their own. The target ("p99 < 5 ms per query") is about one
//!   query's latency, so it is read on one connection; the same mix at a moderate number of
//!   connections is the load figure (throughput, and p99 with queueing), set against pgbench
//!   run on the same cluster just before. The search SQL itself (`catalog::repo::search`, as
//!   the application role) is also timed on one connection, for reference.

mod data;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use axum::http::{HeaderMap, header};
use hdrhistogram::Histogram;
use platform::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{ConnectOptions, Connection, PgConnection, postgres::PgConnectOptions};
use uuid::Uuid;

pub use self::data::{QUERIES, classes, generation_sql};
use self::data::{SLUG_PREFIX, rotation, search_path};
use crate::{
    LOAD,
    baseline::{self, PgbenchResult},
    cluster::BenchCluster,
    loadgen::{self, ClassResult, LoadConfig, LoadResult, Mix, MixResult, Target},
    sous_proc::Launcher,
};

#[derive(Clone, Copy, Debug)]
pub struct CatalogConfig {
    /// Connections of the cached-menu scenario and of its bare-axum yardstick.
    pub menu_connections: usize,
    /// Connections of the search load figure (the latency target is read on one).
    pub search_connections: usize,
    /// Timed window of the one-connection search run (the target): longer than the other
    /// windows, for enough samples per class at the 99th percentile.
    pub latency_window: Duration,
    pub tenants: u32,
    pub branches_per_tenant: u32,
    pub items_per_tenant: u32,
    /// Menus built at once while every branch is read for the first time.
    pub warm_concurrency: usize,
    /// The whole warm-up must end within this.
    pub warm_timeout: Duration,
    /// Timed runs of the search SQL per query, on one connection.
    pub sql_samples: usize,
}

/// Every timed window of this module: the HTTP scenarios' warm-up, window and bounds.
fn load_config(connections: usize) -> LoadConfig {
    LoadConfig {
        connections,
        ..LOAD
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct MenuBench {
    pub branch_id: Uuid,
    pub body_bytes: usize,
    /// The bare axum app answering the same bytes with the same headers, same connections.
    pub bare_axum: LoadResult,
    pub sous: LoadResult,
    /// sous requests/s ÷ bare axum requests/s.
    pub ratio: f64,
}

/// What one query answered before the load (a search that finds nothing is fast and useless).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct QueryCheck {
    pub class: String,
    pub q: String,
    pub lang: String,
    pub results: usize,
    pub top: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SearchBench {
    pub tenants: i64,
    pub branches: i64,
    pub items: i64,
    /// Writing the rows (one transaction), then `vacuum analyze` of the tables written.
    pub generate_s: f64,
    pub vacuum_s: f64,
    pub warm_concurrency: usize,
    /// Every generated branch's menu read once (built, stored in `menu_cache`, kept in memory).
    pub warm_s: f64,
    /// The menu body of a generated branch.
    pub menu_body_bytes: usize,
    pub checks: Vec<QueryCheck>,
    /// The mix on one connection: each query's own latency, without queueing (the target).
    pub single_connection: MixResult,
    /// `pgbench -S` on the same cluster right before the load: what PostgreSQL could do then.
    pub pgbench: PgbenchResult,
    /// The same mix at `search_connections`: throughput, and latency with queueing (the load
    /// figure).
    pub load: MixResult,
    /// The load's requests/s ÷ pgbench's transactions/s.
    pub load_ratio_to_pgbench: f64,
    /// The cluster's `shared_buffers`, and the blocks of `items` (heap, indexes, TOAST) that
    /// both runs found there or had to read from the kernel's page cache.
    pub shared_buffers: String,
    pub items_blocks_hit: i64,
    pub items_blocks_read: i64,
    /// `catalog::repo::search` alone (`set_config` + the query), as the application role, one
    /// connection, per class (reference).
    pub sql: Vec<ClassResult>,
    pub sql_samples_per_query: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CatalogBench {
    pub menu: MenuBench,
    pub search: SearchBench,
}

/// Both scenarios against one `sous serve`, stopped at the end. Its task workers are off
/// (`SOUS_WORKER_CONCURRENCY=0`): pg_cron's five-minute menu refresh would otherwise rebuild
/// 1 000 menus in the middle of a window. The generated branches are archived afterwards and
/// the rebuilds queued meanwhile dropped, so later scenarios see the demo brand as before.
pub async fn catalog(
    launcher: &Launcher,
    env: &BenchCluster,
    cfg: &CatalogConfig,
) -> anyhow::Result<CatalogBench> {
    let server = launcher
        .start_with(&[("SOUS_WORKER_CONCURRENCY", "0")])
        .await?;
    let measured = async {
        let menu = menu(server.addr, cfg).await?;
        let search = search(server.addr, env, cfg).await?;
        anyhow::Ok(CatalogBench { menu, search })
    }
    .await;
    let stopped = server.stop().await;
    let tidied = tidy(&env.owner_url()).await;
    let bench = measured?;
    stopped?;
    tidied.context("archiving the generated branches")?;
    Ok(bench)
}

const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The cached menu of the demo's Riyadh branch against bare axum answering the same bytes.
async fn menu(addr: SocketAddr, cfg: &CatalogConfig) -> anyhow::Result<MenuBench> {
    let branch_id = crate::scenarios::demo_branch(addr).await?;
    let path = format!("/api/branches/{branch_id}/menu");
    // The first read builds the menu (or takes it from `menu_cache`); the load reads memory.
    let (status, headers, body) = loadgen::fetch(&Target::get(addr, &path), STEP_TIMEOUT).await?;
    ensure!(status.is_success(), "GET {path}: HTTP {status}");
    let mut same = HeaderMap::new();
    for name in [header::CONTENT_TYPE, header::ETAG, header::CACHE_CONTROL] {
        if let Some(v) = headers.get(&name) {
            same.insert(name, v.clone());
        }
    }
    let len = body.len();
    let load = load_config(cfg.menu_connections);
    let bare_axum = baseline::bare_axum_body(body, same, &load).await?;
    let target = Target::get(addr, path).expecting_body_len(len);
    let sous = loadgen::run(&target, &load).await?;
    Ok(MenuBench {
        branch_id,
        body_bytes: len,
        ratio: sous.requests_per_s / bare_axum.requests_per_s,
        bare_axum,
        sous,
    })
}

/// A generated branch, in the order the search visits them.
#[derive(Clone, Copy, Debug)]
struct Branch {
    id: Uuid,
}

async fn search(
    addr: SocketAddr,
    env: &BenchCluster,
    cfg: &CatalogConfig,
) -> anyhow::Result<SearchBench> {
    let owner = env.owner_url();
    // The generation takes seconds: no slow-statement warnings on stderr.
    let mut db = owner
        .parse::<PgConnectOptions>()?
        .disable_statement_logging()
        .connect()
        .await?;
    let existing: i64 = sqlx::query_scalar("select count(*) from tenants where slug like $1")
        .bind(format!("{SLUG_PREFIX}%"))
        .fetch_one(&mut db)
        .await?;
    ensure!(
        existing == 0,
        "the cluster already has generated brands ({existing})"
    );

    let began = Instant::now();
    let mut tx = db.begin().await?;
    for statement in generation_sql(cfg) {
        sqlx::query(&statement)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("generating the data set: {statement}"))?;
    }
    tx.commit().await?;
    let generate_s = began.elapsed().as_secs_f64();
    // As autovacuum would have done by the time anyone searches: statistics for the planner,
    // and the GIN indexes' pending lists merged into the indexes.
    let began = Instant::now();
    sqlx::query("vacuum analyze tenants, branches, menus, categories, items")
        .execute(&mut db)
        .await?;
    let vacuum_s = began.elapsed().as_secs_f64();

    let (tenants, branches, items): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from tenants t where t.slug like $1), \
                (select count(*) from branches b join tenants t on t.id = b.tenant_id \
                 where t.slug like $1), \
                (select count(*) from items i join tenants t on t.id = i.tenant_id \
                 where t.slug like $1)",
    )
    .bind(format!("{SLUG_PREFIX}%"))
    .fetch_one(&mut db)
    .await?;
    // Interleaved: neighbouring requests go to different brands.
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select b.id, b.tenant_id from branches b join tenants t on t.id = b.tenant_id \
         where t.slug like $1 \
         order by row_number() over (partition by b.tenant_id order by b.name, b.id), t.slug",
    )
    .bind(format!("{SLUG_PREFIX}%"))
    .fetch_all(&mut db)
    .await?;
    let all: Vec<Branch> = rows
        .into_iter()
        .map(|(id, _tenant)| Branch { id })
        .collect();
    ensure!(!all.is_empty(), "no branch was generated");

    let began = Instant::now();
    let menu_body_bytes = warm(addr, &all, cfg).await?;
    let warm_s = began.elapsed().as_secs_f64();

    let classes = classes();
    let class_of = |c: &str| classes.iter().position(|k| k == c).expect("a class");
    let mut checks = Vec::new();
    for (class, q, lang) in QUERIES {
        let found = loadgen::fetch_json(
            &Target::get(addr, search_path(all[0].id, q, lang)),
            STEP_TIMEOUT,
        )
        .await?;
        let results = found.as_array().map_or(0, Vec::len);
        checks.push(QueryCheck {
            class: class.into(),
            q: q.into(),
            lang: lang.into(),
            results,
            top: found[0]["name"].as_str().map(str::to_string),
        });
    }
    let mix = Mix {
        classes: classes.clone(),
        requests: rotation(all.len(), QUERIES.len())
            .into_iter()
            .map(|(b, k)| {
                let (class, q, lang) = QUERIES[k];
                (
                    class_of(class),
                    Target::get(addr, search_path(all[b].id, q, lang)),
                )
            })
            .collect(),
    };
    let shared_buffers: String = sqlx::query_scalar("show shared_buffers")
        .fetch_one(&mut db)
        .await?;
    let before = items_blocks(&mut db).await?;
    let single_connection = loadgen::run_mix(
        &mix,
        &LoadConfig {
            duration: cfg.latency_window,
            ..load_config(1)
        },
    )
    .await?;
    let pgbench = baseline::pgbench(env.pg(), baseline::SELECT_ONLY).await?;
    let load = loadgen::run_mix(&mix, &load_config(cfg.search_connections)).await?;
    let load_ratio_to_pgbench = load.overall.requests_per_s / pgbench.tps;
    // Backends report their counters within a second of going idle.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = items_blocks(&mut db).await?;
    let items_blocks_hit = after.0 - before.0;
    let items_blocks_read = after.1 - before.1;
    let sql = sql_timings(&owner, &all, cfg).await?;
    Ok(SearchBench {
        tenants,
        branches,
        items,
        generate_s,
        vacuum_s,
        warm_concurrency: cfg.warm_concurrency,
        warm_s,
        menu_body_bytes,
        checks,
        single_connection,
        pgbench,
        load,
        load_ratio_to_pgbench,
        shared_buffers,
        items_blocks_hit,
        items_blocks_read,
        sql,
        sql_samples_per_query: cfg.sql_samples,
    })
}

/// Blocks of `items` and its indexes found in shared buffers, and read from the kernel.
async fn items_blocks(db: &mut PgConnection) -> anyhow::Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "select coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0) \
                    + coalesce(toast_blks_hit, 0), \
                coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) \
                    + coalesce(toast_blks_read, 0) \
         from pg_statio_all_tables where relid = 'items'::regclass",
    )
    .fetch_one(db)
    .await?)
}

/// Reads every branch's menu once, `warm_concurrency` at a time; the size of the last body.
async fn warm(addr: SocketAddr, branches: &[Branch], cfg: &CatalogConfig) -> anyhow::Result<usize> {
    let next = Arc::new(AtomicUsize::new(0));
    let ids: Arc<Vec<Uuid>> = Arc::new(branches.iter().map(|b| b.id).collect());
    let deadline = Instant::now() + cfg.warm_timeout;
    let tasks: Vec<_> = (0..cfg.warm_concurrency.max(1))
        .map(|_| {
            let (next, ids) = (next.clone(), ids.clone());
            tokio::spawn(async move {
                let mut size = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(id) = ids.get(i) else {
                        return anyhow::Ok(size);
                    };
                    if Instant::now() > deadline {
                        bail!("the warm-up did not read every branch's menu in time");
                    }
                    let path = format!("/api/branches/{id}/menu");
                    let (status, _, body) =
                        loadgen::fetch(&Target::get(addr, &path), STEP_TIMEOUT).await?;
                    ensure!(status.is_success(), "GET {path}: HTTP {status}");
                    size = body.len();
                }
            })
        })
        .collect();
    let mut size = 0;
    for task in tasks {
        size = size.max(task.await.context("a warm-up task panicked")??);
    }
    Ok(size)
}

/// `catalog::repo::search` on its own, as the endpoint calls it (one `catalog_search` call as
/// the application role, the branch's menu already cached), `sql_samples` times per query, one
/// connection, rotating over the branches.
async fn sql_timings(
    owner: &str,
    branches: &[Branch],
    cfg: &CatalogConfig,
) -> anyhow::Result<Vec<ClassResult>> {
    // Spread over every branch, as the HTTP load is.
    let samples = cfg.sql_samples.max(1);
    let used: Vec<Branch> = (0..samples)
        .map(|i| branches[i * branches.len() / samples])
        .collect();
    let app = Db::connect(owner, None, 1).await?;
    let classes = classes();
    let mut hists: Vec<Histogram<u64>> = classes
        .iter()
        .map(|_| Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"))
        .collect();
    for (offset, (class, q, lang)) in QUERIES.into_iter().enumerate() {
        let terms: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        let hist = &mut hists[classes.iter().position(|c| c == class).expect("a class")];
        for i in 0..samples {
            let branch = used[(i + offset) % used.len()];
            let began = Instant::now();
            let found = ::catalog::repo::search(&app, branch.id, &terms, lang, 20).await?;
            hist.saturating_record(began.elapsed().as_micros().max(1) as u64);
            anyhow::ensure!(
                matches!(found, ::catalog::repo::Search::Found(_)),
                "a warmed branch's menu was not fresh"
            );
        }
    }
    app.pool.close().await;
    Ok(classes
        .into_iter()
        .zip(hists)
        .map(|(class, h)| {
            let [p50_ms, p90_ms, p99_ms, max_ms] = loadgen::quantiles_ms(&h);
            ClassResult {
                class,
                requests: h.len(),
                errors: 0,
                p50_ms,
                p90_ms,
                p99_ms,
                max_ms,
            }
        })
        .collect())
}

/// Leaves the cluster as later scenarios expect it: the generated branches archived (the
/// five-minute refresh skips them) and no menu rebuild waiting in the queue.
async fn tidy(owner: &str) -> anyhow::Result<()> {
    let mut db = PgConnection::connect(owner).await?;
    sqlx::query(
        "update branches b set status = 'archived' from tenants t \
         where t.id = b.tenant_id and t.slug like $1 and b.status <> 'archived'",
    )
    .bind(format!("{SLUG_PREFIX}%"))
    .execute(&mut db)
    .await?;
    sqlx::query("delete from task_queue where kind = $1 and status = 'pending'")
        .bind(::catalog::cache::REBUILD_TASK)
        .execute(&mut db)
        .await?;
    Ok(())
}

/// `bench catalog key=value…`: settings changed for a quick try.
pub fn with_overrides(mut cfg: CatalogConfig, args: &[String]) -> anyhow::Result<CatalogConfig> {
    for arg in args {
        let (key, value) = arg
            .split_once('=')
            .with_context(|| format!("`{arg}`: expected key=value"))?;
        let bad = || format!("`{arg}`: not a number");
        match key {
            "tenants" => cfg.tenants = value.parse().with_context(bad)?,
            "branches" => cfg.branches_per_tenant = value.parse().with_context(bad)?,
            "items" => cfg.items_per_tenant = value.parse().with_context(bad)?,
            "menu_connections" => cfg.menu_connections = value.parse().with_context(bad)?,
            "search_connections" => cfg.search_connections = value.parse().with_context(bad)?,
            "latency_window_s" => {
                cfg.latency_window = Duration::from_secs(value.parse().with_context(bad)?)
            }
            "warm_concurrency" => cfg.warm_concurrency = value.parse().with_context(bad)?,
            "sql_samples" => cfg.sql_samples = value.parse().with_context(bad)?,
            _ => bail!(
                "unknown setting `{key}` (tenants, branches, items, menu_connections, \
                 search_connections, latency_window_s, warm_concurrency, sql_samples)"
            ),
        }
    }
    ensure!(
        cfg.tenants > 0 && cfg.branches_per_tenant > 0 && cfg.items_per_tenant > 0,
        "tenants, branches and items must be at least 1"
    );
    ensure!(
        cfg.menu_connections > 0 && cfg.search_connections > 0,
        "connections must be at least 1"
    );
    ensure!(
        !cfg.latency_window.is_zero(),
        "latency_window_s must be at least 1"
    );
    Ok(cfg)
}

/// Figures for the report's tests: a menu at `menu_ratio` × bare axum, search classes with
/// the given p99s on one connection and five times those under load.
#[cfg(test)]
pub fn sample(menu_ratio: f64, search_p99_ms: &[f64]) -> CatalogBench {
    let load = |rps: f64, p99_ms: f64, connections| LoadResult {
        connections,
        requests: (rps * 5.0) as u64,
        errors: 0,
        first_error: None,
        window_s: 5.0,
        requests_per_s: rps,
        p50_ms: p99_ms / 2.0,
        p90_ms: p99_ms * 0.8,
        p99_ms,
        max_ms: p99_ms * 2.0,
    };
    let class = |class: String, p99_ms: f64| ClassResult {
        class,
        requests: 100,
        errors: 0,
        p50_ms: p99_ms / 2.0,
        p90_ms: p99_ms * 0.8,
        p99_ms,
        max_ms: p99_ms * 2.0,
    };
    let mix = |connections: usize, rps: f64, factor: f64| {
        let classes: Vec<ClassResult> = classes()
            .into_iter()
            .zip(search_p99_ms.iter().map(|p99| p99 * factor))
            .map(|(c, p99)| class(c, p99))
            .collect();
        let worst = classes.iter().map(|c| c.p99_ms).fold(0.0, f64::max);
        MixResult {
            overall: load(rps, worst, connections),
            classes,
        }
    };
    let single_connection = mix(1, 400.0, 1.0);
    CatalogBench {
        menu: MenuBench {
            branch_id: Uuid::nil(),
            body_bytes: 70_054,
            bare_axum: load(20_000.0, 4.0, 64),
            sous: load(20_000.0 * menu_ratio, 6.0, 64),
            ratio: menu_ratio,
        },
        search: SearchBench {
            tenants: 200,
            branches: 1000,
            items: 100_000,
            generate_s: 12.0,
            vacuum_s: 0.5,
            warm_concurrency: 2,
            warm_s: 20.0,
            menu_body_bytes: 276_000,
            checks: QUERIES
                .iter()
                .map(|(class, q, lang)| QueryCheck {
                    class: class.to_string(),
                    q: q.to_string(),
                    lang: lang.to_string(),
                    results: 20,
                    top: Some("Grilled Chicken Burger".into()),
                })
                .collect(),
            sql: single_connection.classes.clone(),
            single_connection,
            pgbench: PgbenchResult {
                mode: "select-only (-S)".into(),
                scale: 1,
                clients: 8,
                threads: 2,
                seconds: 5,
                tps: 20_000.0,
                latency_avg_ms: Some(0.4),
                transactions: Some(100_000),
            },
            load: mix(8, 1000.0, 5.0),
            load_ratio_to_pgbench: 0.05,
            shared_buffers: "128MB".into(),
            items_blocks_hit: 900,
            items_blocks_read: 100,
            sql_samples_per_query: 100,
        },
    }
}

/// The configuration the tests of this scenario read.
#[cfg(test)]
pub(crate) const TEST_CONFIG: CatalogConfig = CatalogConfig {
    menu_connections: 64,
    search_connections: 8,
    latency_window: Duration::from_secs(10),
    tenants: 200,
    branches_per_tenant: 5,
    items_per_tenant: 500,
    warm_concurrency: 2,
    warm_timeout: Duration::from_secs(600),
    sql_samples: 100,
};

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: CatalogConfig = TEST_CONFIG;

    #[test]
    fn overrides_change_only_what_is_named() {
        let args = ["tenants=20", "search_connections=1"].map(String::from);
        let cfg = with_overrides(CFG, &args).unwrap();
        assert_eq!((cfg.tenants, cfg.search_connections), (20, 1));
        assert_eq!(cfg.items_per_tenant, 500);
        assert!(with_overrides(CFG, &["nope=1".into()]).is_err());
        assert!(with_overrides(CFG, &["tenants=x".into()]).is_err());
        assert!(with_overrides(CFG, &["tenants=0".into()]).is_err());
        let cfg = with_overrides(CFG, &["latency_window_s=3".into()]).unwrap();
        assert_eq!(cfg.latency_window, Duration::from_secs(3));
        assert!(with_overrides(CFG, &["latency_window_s=0".into()]).is_err());
    }
}
