//! The figures, their ratios to the baselines and the targets, in three forms: a table on stdout,
//! a JSON file per day in `bench/results/`, and the same table between markers in
//! `bench/README.md`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    COLD_START_RUNS, LOAD,
    baseline::PgbenchResult,
    catalog_scenarios::CatalogBench,
    checkout_scenarios::CheckoutBench,
    kds_scenarios::KdsBench,
    loadgen::{ClassResult, LoadResult},
    queue::{QueueBench, median},
    scenarios::ColdStart,
    sse_fanout::SseFanout,
    web_scenarios::WebBench,
};

pub const README_START: &str = "<!-- results:start -->";
pub const README_END: &str = "<!-- results:end -->";

/// `GET /api/health` must keep at least this share of a bare axum endpoint's throughput.
pub const HEALTH_MIN_RATIO: f64 = 0.5;
/// The menu page's server response, p99 with a warm cache, on one connection.
pub const WEB_MENU_MAX_P99_MS: f64 = 50.0;
/// JavaScript a browser loads for the menu page, gzip.
pub const WEB_MENU_MAX_JS_GZIP: u64 = 60 * 1024;
/// Order accepted → ticket on the kitchen screen, in the browser.
pub const KDS_MAX_NEW_TICKET_MS: f64 = 1000.0;
/// Median cold start must stay under this.
pub const COLD_START_MAX_MEDIAN_MS: f64 = 50.0;
/// Commit → receipt at every SSE client, p99, must stay under this.
pub const SSE_MAX_P99_MS: f64 = 100.0;
/// RSS growth per idle SSE connection must stay under this, in kB.
pub const SSE_MAX_KB_PER_CONNECTION: f64 = 20.0;
/// sous's workers must do at least this many no-op tasks per graphile-worker job.
pub const QUEUE_MIN_RATIO: f64 = 1.0;
/// The cached menu must keep at least this share of the requests/s of bare axum answering a
/// body of the same size, at the same connections.
pub const MENU_MIN_RATIO: f64 = 0.5;
/// …with p99 under this.
pub const MENU_MAX_P99_MS: f64 = 10.0;
/// Search over 100 000 items: p99 per query under this for every class of query, read on one
/// connection (a query's own latency, no queueing behind other requests).
pub const SEARCH_MAX_P99_MS: f64 = 5.0;
/// Checkout at 16 connections: at least this many orders per pgbench TPC-B transaction at 16
/// clients…
pub const CHECKOUT_MIN_RATIO: f64 = 0.4;
/// …with p99 under this.
pub const CHECKOUT_MAX_P99_MS: f64 = 50.0;

#[derive(Debug, Deserialize, Serialize)]
pub struct RunInfo {
    pub timestamp: String,
    pub git_commit: Option<String>,
    /// Tracked files differed from the commit (untracked files are not looked at).
    pub git_dirty: Option<bool>,
    pub nproc: usize,
    pub postgres: String,
    pub connections: usize,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub max_requests: u64,
    pub cold_start_runs: usize,
    #[serde(skip)]
    now: DateTime<Utc>,
}

impl RunInfo {
    pub fn collect(root: &Path, postgres: String) -> Self {
        let now = Utc::now();
        Self {
            timestamp: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            git_commit: git(root, &["rev-parse", "HEAD"]),
            git_dirty: git(root, &["status", "--porcelain", "--untracked-files=no"])
                .map(|s| !s.is_empty()),
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            postgres,
            connections: LOAD.connections,
            warmup_s: LOAD.warmup.as_secs_f64(),
            duration_s: LOAD.duration.as_secs_f64(),
            max_requests: LOAD.max_requests,
            cold_start_runs: COLD_START_RUNS,
            now,
        }
    }
}

/// Read-only git queries; `GIT_OPTIONAL_LOCKS=0` keeps `status` from refreshing the index.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[derive(Debug, Serialize)]
pub struct Target {
    pub description: String,
    pub pass: bool,
}

#[derive(Debug, Serialize)]
pub struct Baselines {
    pub pgbench: PgbenchResult,
    pub pgbench_tpcb: PgbenchResult,
    pub bare_axum: LoadResult,
}

#[derive(Debug, Serialize)]
pub struct HttpScenario {
    pub request: &'static str,
    #[serde(flatten)]
    pub load: LoadResult,
    pub ratio_to_bare_axum: f64,
    /// Requests per second per pgbench transaction per second (informational).
    pub ratio_to_pgbench: f64,
    pub target: Option<Target>,
}

#[derive(Debug, Serialize)]
pub struct ColdStartScenario {
    #[serde(flatten)]
    pub figures: ColdStart,
    pub target: Target,
}

#[derive(Debug, Serialize)]
pub struct SseScenario {
    #[serde(flatten)]
    pub figures: SseFanout,
    /// p99 commit → receipt, with every event received by every client exactly once.
    pub latency_target: Target,
    /// RSS growth per idle connection, with every client connected.
    pub memory_target: Target,
}

#[derive(Debug, Serialize)]
pub struct QueueScenario {
    #[serde(flatten)]
    pub figures: QueueBench,
    /// sous's median rate / graphile-worker's, with every task of every round done exactly once.
    pub target: Target,
}

#[derive(Debug, Serialize)]
pub struct CatalogScenario {
    #[serde(flatten)]
    pub figures: CatalogBench,
    /// Cached menu: ratio to bare axum with the same body, p99, no errors.
    pub menu_target: Target,
    /// Search: p99 of every class on one connection, no errors (in either run), every query
    /// finds something. The load at more connections is reported, not judged.
    pub search_target: Target,
}

impl CatalogScenario {
    pub fn new(figures: CatalogBench) -> Self {
        let m = &figures.menu;
        let menu_target = Target {
            description: format!(
                "≥ {MENU_MIN_RATIO} × bare axum (same body), p99 < {MENU_MAX_P99_MS} ms, no errors"
            ),
            pass: m.ratio >= MENU_MIN_RATIO
                && m.sous.p99_ms < MENU_MAX_P99_MS
                && m.sous.errors == 0,
        };
        let s = &figures.search;
        let search_target = Target {
            description: format!(
                "p99 < {SEARCH_MAX_P99_MS} ms per class at 1 conn, no errors, every query finds \
                 items"
            ),
            pass: s
                .single_connection
                .classes
                .iter()
                .all(|c| c.p99_ms < SEARCH_MAX_P99_MS)
                && s.single_connection.overall.errors == 0
                && s.load.overall.errors == 0
                && s.checks.iter().all(|c| c.results > 0),
        };
        Self {
            figures,
            menu_target,
            search_target,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckoutScenario {
    #[serde(flatten)]
    pub figures: CheckoutBench,
    /// Orders per second / pgbench TPC-B transactions per second.
    pub ratio_to_tpcb: f64,
    /// Ratio, p99, no errors, and the books right afterwards.
    pub target: Target,
}

impl CheckoutScenario {
    pub fn new(figures: CheckoutBench, tpcb: &PgbenchResult) -> Self {
        let l = &figures.load;
        let ratio_to_tpcb = l.requests_per_s / tpcb.tps;
        let target = Target {
            description: format!(
                "≥ {CHECKOUT_MIN_RATIO} × TPC-B tps, p99 < {CHECKOUT_MAX_P99_MS} ms, no errors, \
                 books balance"
            ),
            pass: ratio_to_tpcb >= CHECKOUT_MIN_RATIO
                && l.p99_ms < CHECKOUT_MAX_P99_MS
                && l.errors == 0
                && figures.trial_balance == 0
                && figures.orders_not_paid_exactly == 0
                && figures.orders_written as u64 > l.requests,
        };
        Self {
            figures,
            ratio_to_tpcb,
            target,
        }
    }

    fn row(&self) -> Row {
        let f = &self.figures;
        Row {
            scenario: format!(
                "checkout: POST /api/orders, {} lines + cash, {} connections",
                f.lines.len(),
                f.load.connections
            ),
            figure: format!("{} orders/s", thousands(f.load.requests_per_s)),
            ratio: format!("{} × TPC-B", ratio(self.ratio_to_tpcb)),
            target: self.target.description.clone(),
            result: verdict(&self.target),
            ..http_row(&f.load)
        }
    }

    fn missed(&self) -> Option<String> {
        let f = &self.figures;
        (!self.target.pass).then(|| {
            format!(
                "checkout: {} orders/s = {} × TPC-B, p99 {:.2} ms, {} errors, trial balance {}, \
                 {} orders not paid exactly (target {})",
                thousands(f.load.requests_per_s),
                ratio(self.ratio_to_tpcb),
                f.load.p99_ms,
                f.load.errors,
                f.trial_balance,
                f.orders_not_paid_exactly,
                self.target.description
            )
        })
    }
}

/// Order accepted → its ticket on a KDS screen, while 50 orders a second flow.
pub const KDS_MAX_P99_MS: f64 = 100.0;

#[derive(Debug, Serialize)]
pub struct KdsScenario {
    #[serde(flatten)]
    pub figures: KdsBench,
    /// p99 under the bound at the asked rate, every accepted order's ticket seen, no errors.
    pub target: Target,
}

impl KdsScenario {
    pub fn new(figures: KdsBench) -> Self {
        let target = Target {
            description: format!(
                "p99 < {KDS_MAX_P99_MS} ms at {} orders/s, every ticket seen",
                figures.rate_target
            ),
            pass: figures.p99_ms < KDS_MAX_P99_MS
                && figures.errors == 0
                && figures.orders_accepted > 0
                && figures.tickets_seen == figures.orders_accepted
                // The flow kept up with the asked rate (within 10 %).
                && figures.rate_achieved >= 0.9 * f64::from(figures.rate_target),
        };
        Self { figures, target }
    }

    fn row(&self) -> Row {
        let f = &self.figures;
        Row {
            scenario: format!(
                "KDS: order accepted → ticket on the kitchen stream, {} orders/s",
                f.rate_target
            ),
            figure: format!(
                "{}/{} tickets at {:.1} orders/s",
                f.tickets_seen, f.orders_accepted, f.rate_achieved
            ),
            latency: format!("{:.2} / {:.2} ms", f.p50_ms, f.p99_ms),
            errors: f.errors.to_string(),
            ratio: "—".into(),
            target: self.target.description.clone(),
            result: verdict(&self.target),
        }
    }

    fn missed(&self) -> Option<String> {
        let f = &self.figures;
        (!self.target.pass).then(|| {
            format!(
                "KDS: p99 {:.2} ms, {} of {} tickets seen, {:.1} orders/s, {} errors (target {})",
                f.p99_ms,
                f.tickets_seen,
                f.orders_accepted,
                f.rate_achieved,
                f.errors,
                self.target.description
            )
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Scenarios {
    pub health: HttpScenario,
    pub login: HttpScenario,
    pub cold_start: ColdStartScenario,
    pub sse_fanout: SseScenario,
    pub catalog: CatalogScenario,
    pub checkout: CheckoutScenario,
    pub kds: KdsScenario,
    pub queue: QueueScenario,
    pub web: WebScenario,
}

/// The web app's budgets: the menu page's p99 and JavaScript, and the kitchen display's latency
/// (reported from the last browser test; no target verdict without one).
#[derive(Debug, Serialize)]
pub struct WebScenario {
    pub figures: WebBench,
    pub menu_target: Target,
    pub js_target: Target,
    pub kds_target: Option<Target>,
}

impl WebScenario {
    pub fn new(figures: WebBench) -> Self {
        let menu_target = Target {
            description: format!("p99 < {WEB_MENU_MAX_P99_MS} ms warm, no errors"),
            pass: figures.menu_page.p99_ms < WEB_MENU_MAX_P99_MS && figures.menu_page.errors == 0,
        };
        let js_target = Target {
            description: format!("≤ {} KB gzip", WEB_MENU_MAX_JS_GZIP / 1024),
            pass: figures.js_gzip_bytes <= WEB_MENU_MAX_JS_GZIP,
        };
        let kds_target = figures.kds_new_ticket.as_ref().map(|k| Target {
            description: format!("< {KDS_MAX_NEW_TICKET_MS} ms"),
            pass: k.ms < KDS_MAX_NEW_TICKET_MS,
        });
        Self {
            figures,
            menu_target,
            js_target,
            kds_target,
        }
    }

    fn targets(&self) -> impl Iterator<Item = &Target> {
        [&self.menu_target, &self.js_target]
            .into_iter()
            .chain(self.kds_target.as_ref())
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub run: RunInfo,
    pub baselines: Baselines,
    pub scenarios: Scenarios,
    pub all_targets_met: bool,
}

/// Everything a run measured, as the baselines and scenarios return it.
pub struct Measured {
    pub pgbench: PgbenchResult,
    pub pgbench_tpcb: PgbenchResult,
    pub bare_axum: LoadResult,
    pub health: LoadResult,
    pub login: LoadResult,
    pub cold_start: ColdStart,
    pub sse: SseFanout,
    pub catalog: CatalogBench,
    pub checkout: CheckoutBench,
    pub kds: KdsBench,
    pub queue: QueueBench,
    pub web: WebBench,
}

impl Report {
    pub fn new(run: RunInfo, measured: Measured) -> Self {
        let Measured {
            pgbench,
            pgbench_tpcb,
            bare_axum,
            health,
            login,
            cold_start,
            sse,
            catalog,
            checkout,
            kds,
            queue,
            web,
        } = measured;
        let http = |request, load: LoadResult, target: Option<f64>| {
            let ratio = load.requests_per_s / bare_axum.requests_per_s;
            HttpScenario {
                request,
                ratio_to_bare_axum: ratio,
                ratio_to_pgbench: load.requests_per_s / pgbench.tps,
                target: target.map(|min| Target {
                    description: format!("≥ {min} × bare axum, no errors"),
                    pass: ratio >= min && load.errors == 0,
                }),
                load,
            }
        };
        let health = http("GET /api/health", health, Some(HEALTH_MIN_RATIO));
        let login = http("POST /api/auth/login", login, None);
        let cold_start = ColdStartScenario {
            target: Target {
                description: format!("median < {COLD_START_MAX_MEDIAN_MS} ms"),
                pass: cold_start.median_ms < COLD_START_MAX_MEDIAN_MS,
            },
            figures: cold_start,
        };
        let sse_fanout = SseScenario {
            latency_target: Target {
                description: format!("p99 < {SSE_MAX_P99_MS} ms, every event at every client"),
                pass: sse.p99_ms < SSE_MAX_P99_MS
                    && sse.deliveries_missing == 0
                    && sse.duplicates == 0
                    && sse.streams_ended_early == 0,
            },
            memory_target: Target {
                description: format!(
                    "< {SSE_MAX_KB_PER_CONNECTION} kB per connection, all connected"
                ),
                pass: sse.memory_per_connection_kb < SSE_MAX_KB_PER_CONNECTION
                    && sse.connect_errors == 0,
            },
            figures: sse,
        };
        let catalog = CatalogScenario::new(catalog);
        let checkout = CheckoutScenario::new(checkout, &pgbench_tpcb);
        let kds = KdsScenario::new(kds);
        let queue = QueueScenario {
            target: Target {
                description: format!("≥ {QUEUE_MIN_RATIO} × graphile-worker, every task done once"),
                pass: queue.ratio >= QUEUE_MIN_RATIO && queue.all_done,
            },
            figures: queue,
        };
        let web = WebScenario::new(web);
        let all_targets_met = [&health.target, &login.target]
            .into_iter()
            .flatten()
            .chain([
                &cold_start.target,
                &sse_fanout.latency_target,
                &sse_fanout.memory_target,
                &catalog.menu_target,
                &catalog.search_target,
                &checkout.target,
                &kds.target,
                &queue.target,
            ])
            .chain(web.targets())
            .all(|t| t.pass);
        Self {
            run,
            baselines: Baselines {
                pgbench,
                pgbench_tpcb,
                bare_axum,
            },
            scenarios: Scenarios {
                health,
                login,
                cold_start,
                sse_fanout,
                catalog,
                checkout,
                kds,
                queue,
                web,
            },
            all_targets_met,
        }
    }

    fn rows(&self) -> Vec<Row> {
        let Baselines {
            pgbench,
            pgbench_tpcb,
            bare_axum,
        } = &self.baselines;
        let mut rows = vec![
            Row {
                scenario: format!(
                    "pgbench -S -c {} -j {} (baseline)",
                    pgbench.clients, pgbench.threads
                ),
                figure: format!("{} tps", thousands(pgbench.tps)),
                latency: pgbench
                    .latency_avg_ms
                    .map_or("—".into(), |avg| format!("avg {avg:.2} ms")),
                errors: "—".into(),
                ratio: "—".into(),
                target: "—".into(),
                result: "—".into(),
            },
            Row {
                scenario: format!(
                    "pgbench TPC-B-like -s {} -c {} -j {} (baseline)",
                    pgbench_tpcb.scale, pgbench_tpcb.clients, pgbench_tpcb.threads
                ),
                figure: format!("{} tps", thousands(pgbench_tpcb.tps)),
                latency: pgbench_tpcb
                    .latency_avg_ms
                    .map_or("—".into(), |avg| format!("avg {avg:.2} ms")),
                errors: "—".into(),
                ratio: "1 (baseline)".into(),
                target: "—".into(),
                result: "—".into(),
            },
            Row {
                scenario: "bare axum GET /hello (baseline)".into(),
                ratio: "1 (baseline)".into(),
                target: "—".into(),
                result: "—".into(),
                ..http_row(bare_axum)
            },
        ];
        for s in [&self.scenarios.health, &self.scenarios.login] {
            rows.push(Row {
                scenario: s.request.into(),
                ratio: format!(
                    "{} × axum, {} × pgbench",
                    ratio(s.ratio_to_bare_axum),
                    ratio(s.ratio_to_pgbench)
                ),
                target: s
                    .target
                    .as_ref()
                    .map_or("— (reported only)".into(), |t| t.description.clone()),
                result: s.target.as_ref().map_or("—".into(), verdict),
                ..http_row(&s.load)
            });
        }
        let cold = &self.scenarios.cold_start;
        rows.push(Row {
            scenario: "cold start: spawn → first 200".into(),
            figure: format!(
                "median {:.1} ms (min {:.1}, p90 {:.1})",
                cold.figures.median_ms, cold.figures.min_ms, cold.figures.p90_ms
            ),
            latency: "—".into(),
            errors: "—".into(),
            ratio: "—".into(),
            target: cold.target.description.clone(),
            result: verdict(&cold.target),
        });
        let sse = &self.scenarios.sse_fanout;
        let f = &sse.figures;
        rows.push(Row {
            scenario: format!(
                "SSE fan-out: commit → {} clients ({} events)",
                thousands(f.clients as f64),
                f.events
            ),
            figure: format!(
                "{} / {} deliveries",
                thousands(f.deliveries_received as f64),
                thousands(f.deliveries_expected as f64)
            ),
            latency: format!("{:.2} / {:.2} ms", f.p50_ms, f.p99_ms),
            errors: (f.deliveries_missing + f.duplicates).to_string(),
            ratio: "—".into(),
            target: sse.latency_target.description.clone(),
            result: verdict(&sse.latency_target),
        });
        rows.push(Row {
            scenario: "SSE memory per idle connection".into(),
            figure: format!(
                "{:.1} kB (RSS {:.1} → {:.1} MB)",
                f.memory_per_connection_kb,
                f.rss_idle_kb as f64 / 1024.0,
                f.rss_connected_kb as f64 / 1024.0
            ),
            latency: "—".into(),
            errors: f.connect_errors.to_string(),
            ratio: "—".into(),
            target: sse.memory_target.description.clone(),
            result: verdict(&sse.memory_target),
        });
        rows.extend(catalog_rows(&self.scenarios.catalog));
        rows.push(self.scenarios.checkout.row());
        rows.push(self.scenarios.kds.row());
        rows.extend(queue_rows(&self.scenarios.queue));
        rows.extend(web_rows(&self.scenarios.web));
        rows
    }

    fn missed(&self) -> Vec<String> {
        let s = &self.scenarios;
        let mut missed = Vec::new();
        if let Some(t) = s.health.target.as_ref().filter(|t| !t.pass) {
            missed.push(format!(
                "GET /api/health: {} × bare axum with {} errors (target {})",
                ratio(s.health.ratio_to_bare_axum),
                s.health.load.errors,
                t.description
            ));
        }
        if !s.cold_start.target.pass {
            missed.push(format!(
                "cold start: median {:.1} ms (target {})",
                s.cold_start.figures.median_ms, s.cold_start.target.description
            ));
        }
        let sse = &s.sse_fanout;
        if !sse.latency_target.pass {
            missed.push(format!(
                "SSE fan-out: p99 {:.2} ms, {} of {} deliveries missing, {} duplicates, {} \
                 streams ended early (target {})",
                sse.figures.p99_ms,
                sse.figures.deliveries_missing,
                sse.figures.deliveries_expected,
                sse.figures.duplicates,
                sse.figures.streams_ended_early,
                sse.latency_target.description
            ));
        }
        if !sse.memory_target.pass {
            missed.push(format!(
                "SSE memory: {:.1} kB per connection, {} of {} clients connected (target {})",
                sse.figures.memory_per_connection_kb,
                sse.figures.connected,
                sse.figures.clients,
                sse.memory_target.description
            ));
        }
        missed.extend(catalog_missed(&s.catalog));
        missed.extend(s.checkout.missed());
        missed.extend(s.kds.missed());
        missed.extend(web_missed(&s.web));
        let q = &s.queue;
        if !q.target.pass {
            missed.push(format!(
                "queue: sous {} tasks/s = {} × graphile-worker's {} jobs/s{} (target {})",
                thousands(q.figures.sous.median_tasks_per_s),
                ratio(q.figures.ratio),
                thousands(q.figures.graphile.median_jobs_per_s),
                if q.figures.all_done {
                    ""
                } else {
                    ", and not every task was done exactly once"
                },
                q.target.description
            ));
        }
        missed
    }

    pub fn print(&self) {
        print!("{}", self.text());
    }

    /// What `print` shows: the run, the table, the targets missed and the notes.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let run = &self.run;
        _ = writeln!(
            out,
            "\nsous benchmarks — {} — commit {} — {} CPUs — PostgreSQL {}",
            run.timestamp,
            short_commit(run),
            run.nproc,
            run.postgres
        );
        _ = writeln!(
            out,
            "HTTP: {} connections, {} s warm-up + {} s per scenario (≤ {} requests)\n",
            run.connections, run.warmup_s, run.duration_s, run.max_requests
        );
        let sse = &self.scenarios.sse_fanout.figures;
        _ = writeln!(
            out,
            "SSE: {} clients (opened {} at a time, in {:.1} s), {} events {} ms apart, \
             open-files limit {}\n",
            sse.clients,
            sse.open_concurrency,
            sse.open_s,
            sse.events,
            sse.event_interval_ms,
            sse.nofile_limit
        );
        _ = writeln!(out, "{}", text_table(&self.rows()));
        for line in self.missed() {
            _ = writeln!(out, "MISSED  {line}");
        }
        if self.all_targets_met {
            _ = writeln!(out, "all targets met");
        }
        for (name, load) in [
            ("bare axum", &self.baselines.bare_axum),
            ("GET /api/health", &self.scenarios.health.load),
            ("POST /api/auth/login", &self.scenarios.login.load),
        ] {
            if let Some(e) = &load.first_error {
                _ = writeln!(out, "note: {name} had {} errors; first: {e}", load.errors);
            }
        }
        let sse = &self.scenarios.sse_fanout.figures;
        _ = writeln!(
            out,
            "SSE fan-out per event (median over the {} events): first client {:.2} ms, last \
             client {:.2} ms after COMMIT returned (max {:.2} ms); CPU per event: sous {:.1} ms, \
             harness {:.1} ms",
            sse.events,
            sse.first_client_median_ms,
            sse.last_client_median_ms,
            sse.max_ms,
            sse.sous_cpu_ms_per_event,
            sse.harness_cpu_ms_per_event
        );
        if let Some(e) = &sse.first_error {
            _ = writeln!(
                out,
                "note: SSE fan-out had {} connect errors and {} streams ended early; first: {e}",
                sse.connect_errors, sse.streams_ended_early
            );
        }
        let catalog = &self.scenarios.catalog.figures;
        for (name, load) in [
            ("cached menu, bare axum", &catalog.menu.bare_axum),
            ("cached menu", &catalog.menu.sous),
            (
                "search, 1 connection",
                &catalog.search.single_connection.overall,
            ),
            ("search under load", &catalog.search.load.overall),
            ("checkout", &self.scenarios.checkout.figures.load),
        ] {
            if let Some(e) = &load.first_error {
                _ = writeln!(out, "note: {name} had {} errors; first: {e}", load.errors);
            }
        }
        _ = writeln!(out, "{}", catalog_settings(catalog));
        _ = writeln!(out, "{}", queue_settings(&self.scenarios.queue.figures));
        out
    }

    /// `bench/results/<YYYY-MM-DD>.json` (UTC date); a later run on the same day replaces it.
    pub fn write_json(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.json", self.run.now.format("%Y-%m-%d")));
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(&path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    pub fn update_readme(&self, path: &Path) -> anyhow::Result<()> {
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        let updated = replace_section(&doc, &self.markdown())?;
        std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
    }

    fn markdown(&self) -> String {
        let run = &self.run;
        let date = self.run.now.format("%Y-%m-%d");
        let sse = &self.scenarios.sse_fanout.figures;
        let mut out = format!(
            "Last run {} · commit `{}` · {} CPUs · PostgreSQL {} · {} connections, {} s warm-up \
             + {} s per HTTP scenario · SSE: {} clients, {} events {} ms apart · queue: {} no-op \
             tasks × {} rounds, {} at once · full figures in \
             [results/{date}.json](results/{date}.json)\n\n",
            run.timestamp,
            short_commit(run),
            run.nproc,
            run.postgres,
            run.connections,
            run.warmup_s,
            run.duration_s,
            thousands(sse.clients as f64),
            sse.events,
            sse.event_interval_ms,
            thousands(self.scenarios.queue.figures.tasks as f64),
            self.scenarios.queue.figures.rounds,
            self.scenarios.queue.figures.concurrency,
        );
        out.push_str(&markdown_table(&self.rows()));
        out.push('\n');
        out.push_str(&catalog_settings(&self.scenarios.catalog.figures));
        out.push_str("\n\n");
        out.push_str(&queue_settings(&self.scenarios.queue.figures));
        out.push('\n');
        out
    }
}

/// The web app's rows: the menu page, its JavaScript, the kitchen display's latency.
fn web_rows(w: &WebScenario) -> Vec<Row> {
    let f = &w.figures;
    let m = &f.menu_page;
    let mut rows = vec![
        Row {
            scenario: format!("web: GET {} (SSR, warm, 1 connection)", f.page),
            figure: format!("{} req/s", thousands(m.requests_per_s)),
            latency: format!("p50 {:.2} / p99 {:.2} ms", m.p50_ms, m.p99_ms),
            errors: m.errors.to_string(),
            ratio: "—".into(),
            target: w.menu_target.description.clone(),
            result: verdict(&w.menu_target),
        },
        Row {
            scenario: format!("web: JavaScript of {}", f.page),
            figure: format!(
                "{:.1} KB gzip in {} files",
                f.js_gzip_bytes as f64 / 1024.0,
                f.js_files.len()
            ),
            latency: "—".into(),
            errors: "—".into(),
            ratio: "—".into(),
            target: w.js_target.description.clone(),
            result: verdict(&w.js_target),
        },
    ];
    rows.push(match (&f.kds_new_ticket, &w.kds_target) {
        (Some(k), Some(t)) => Row {
            scenario: "web: KDS new ticket (browser test)".into(),
            figure: format!("measured {}", k.at),
            latency: format!("{:.0} ms", k.ms),
            errors: "—".into(),
            ratio: "—".into(),
            target: t.description.clone(),
            result: verdict(t),
        },
        _ => Row {
            scenario: "web: KDS new ticket (browser test)".into(),
            figure: "not measured: run `make web-test` first".into(),
            latency: "—".into(),
            errors: "—".into(),
            ratio: "—".into(),
            target: format!("< {KDS_MAX_NEW_TICKET_MS} ms"),
            result: "—".into(),
        },
    });
    rows
}

fn web_missed(w: &WebScenario) -> Vec<String> {
    let f = &w.figures;
    let mut missed = Vec::new();
    if !w.menu_target.pass {
        missed.push(format!(
            "web: {} p99 {:.2} ms, {} errors (target {})",
            f.page, f.menu_page.p99_ms, f.menu_page.errors, w.menu_target.description
        ));
    }
    if !w.js_target.pass {
        missed.push(format!(
            "web: {} loads {:.1} KB of JavaScript gzip (target {})",
            f.page,
            f.js_gzip_bytes as f64 / 1024.0,
            w.js_target.description
        ));
    }
    if let (Some(k), Some(t)) = (&f.kds_new_ticket, &w.kds_target)
        && !t.pass
    {
        missed.push(format!(
            "web: KDS new ticket {:.0} ms (target {})",
            k.ms, t.description
        ));
    }
    missed
}

/// The web app's budgets alone, as `bench web` prints them.
pub fn web_table(bench: &WebBench) -> String {
    let scenario = WebScenario::new(bench.clone());
    let mut out = text_table(&web_rows(&scenario));
    for line in web_missed(&scenario) {
        out.push_str(&format!("\nMISSED  {line}"));
    }
    out
}

/// The catalog scenarios' rows: the sized bare-axum baseline, the cached menu, search overall
/// and per class of query.
fn catalog_rows(c: &CatalogScenario) -> Vec<Row> {
    let m = &c.figures.menu;
    let s = &c.figures.search;
    let kb = |bytes: usize| format!("{:.1} kB", bytes as f64 / 1000.0);
    let mut rows = vec![
        Row {
            scenario: format!(
                "bare axum GET /body, {} static body, {} conns (baseline)",
                kb(m.body_bytes),
                m.bare_axum.connections
            ),
            ratio: "1 (baseline)".into(),
            target: "—".into(),
            result: "—".into(),
            ..http_row(&m.bare_axum)
        },
        Row {
            scenario: format!(
                "GET /api/branches/{{Riyadh}}/menu, cached, {}, {} conns",
                kb(m.body_bytes),
                m.sous.connections
            ),
            ratio: format!("{} × bare axum (same body)", ratio(m.ratio)),
            target: c.menu_target.description.clone(),
            result: verdict(&c.menu_target),
            ..http_row(&m.sous)
        },
        Row {
            scenario: format!(
                "search: {} items, {} brands, {} branches, 1 conn — all",
                thousands(s.items as f64),
                thousands(s.tenants as f64),
                thousands(s.branches as f64),
            ),
            ratio: "—".into(),
            target: c.search_target.description.clone(),
            result: verdict(&c.search_target),
            ..http_row(&s.single_connection.overall)
        },
    ];
    let reference = |r: Option<&ClassResult>| {
        r.map_or("—".into(), |r| {
            format!("{:.2} / {:.2} ms", r.p50_ms, r.p99_ms)
        })
    };
    let find = |list: &[ClassResult], class: &str| list.iter().find(|r| r.class == class).cloned();
    for class in &s.single_connection.classes {
        let queries: Vec<String> = s
            .checks
            .iter()
            .filter(|q| q.class == class.class)
            .map(|q| format!("`{}`", q.q))
            .collect();
        let pass = class.p99_ms < SEARCH_MAX_P99_MS && class.errors == 0;
        rows.push(Row {
            scenario: format!("search: {} ({}), 1 conn", class.class, queries.join(", ")),
            figure: format!(
                "{} conns {} · SQL {}",
                s.load.overall.connections,
                reference(find(&s.load.classes, &class.class).as_ref()),
                reference(find(&s.sql, &class.class).as_ref())
            ),
            latency: format!("{:.2} / {:.2} ms", class.p50_ms, class.p99_ms),
            errors: class.errors.to_string(),
            ratio: "—".into(),
            target: format!("p99 < {SEARCH_MAX_P99_MS} ms"),
            result: if pass { "PASS" } else { "MISSED" }.into(),
        });
    }
    let pg = &s.pgbench;
    rows.push(Row {
        scenario: format!(
            "pgbench -S -c {} -j {}, right before the search load (baseline)",
            pg.clients, pg.threads
        ),
        figure: format!("{} tps", thousands(pg.tps)),
        latency: pg
            .latency_avg_ms
            .map_or("—".into(), |avg| format!("avg {avg:.2} ms")),
        errors: "—".into(),
        ratio: "1 (baseline)".into(),
        target: "—".into(),
        result: "—".into(),
    });
    rows.push(Row {
        scenario: format!(
            "search under load: {} conns — all (queueing included)",
            s.load.overall.connections
        ),
        ratio: format!("{} × pgbench", ratio(s.load_ratio_to_pgbench)),
        target: "— (load figure, reported only)".into(),
        result: "—".into(),
        ..http_row(&s.load.overall)
    });
    rows
}

fn catalog_missed(c: &CatalogScenario) -> Vec<String> {
    let mut missed = Vec::new();
    let m = &c.figures.menu;
    if !c.menu_target.pass {
        missed.push(format!(
            "cached menu: {} × bare axum (same body), p99 {:.2} ms, {} errors (target {})",
            ratio(m.ratio),
            m.sous.p99_ms,
            m.sous.errors,
            c.menu_target.description
        ));
    }
    let s = &c.figures.search;
    if !c.search_target.pass {
        let classes: Vec<String> = s
            .single_connection
            .classes
            .iter()
            .map(|k| format!("{} p99 {:.2} ms", k.class, k.p99_ms))
            .collect();
        let empty: Vec<&str> = s
            .checks
            .iter()
            .filter(|q| q.results == 0)
            .map(|q| q.q.as_str())
            .collect();
        missed.push(format!(
            "search at 1 conn: {}; {} errors; queries finding nothing: {} (target {})",
            classes.join(", "),
            s.single_connection.overall.errors + s.load.overall.errors,
            if empty.is_empty() {
                "none".into()
            } else {
                empty.join(", ")
            },
            c.search_target.description
        ));
    }
    missed
}

/// How the catalog scenarios' data was made and warmed, and what each query found.
fn catalog_settings(c: &CatalogBench) -> String {
    let s = &c.search;
    let checks: Vec<String> = s
        .checks
        .iter()
        .map(|q| {
            format!(
                "`{}` → {}{}",
                q.q,
                q.results,
                q.top
                    .as_deref()
                    .map_or(String::new(), |t| format!(" (first: {t})"))
            )
        })
        .collect();
    format!(
        "Catalog: cached menu of the demo's Riyadh branch ({} bytes) and bare axum answering \
         the same bytes, {} connections each. Search: {} items written with SQL in {:.1} s \
         (+ vacuum analyze {:.1} s); the {} branches' menus ({} kB each) read once first, {} at \
         a time, in {:.1} s; requests rotate over every branch and query. The target is read \
         on 1 connection ({:.0} s window: each query's own latency); the load figure is the \
         same mix at {} connections ({:.0} s), where requests also queue for the CPUs, \
         against pgbench -S run just before; the SQL alone ({} runs per query) is for \
         reference. Blocks of `items` during the HTTP runs: {:.1} % found in shared_buffers \
         ({}); results per query (limit 20): {}.",
        c.menu.body_bytes,
        c.menu.sous.connections,
        thousands(s.items as f64),
        s.generate_s,
        s.vacuum_s,
        thousands(s.branches as f64),
        s.menu_body_bytes / 1000,
        s.warm_concurrency,
        s.warm_s,
        s.single_connection.overall.window_s,
        s.load.overall.connections,
        s.load.overall.window_s,
        s.sql_samples_per_query,
        100.0 * s.items_blocks_hit as f64
            / (s.items_blocks_hit + s.items_blocks_read).max(1) as f64,
        s.shared_buffers,
        checks.join(", ")
    )
}

/// The catalog scenarios alone, as `bench catalog` prints them.
pub fn catalog_table(bench: &CatalogBench) -> String {
    let scenario = CatalogScenario::new(bench.clone());
    let mut out = text_table(&catalog_rows(&scenario));
    for line in catalog_missed(&scenario) {
        out.push_str(&format!("\nMISSED  {line}"));
    }
    out.push_str(&format!("\n{}", catalog_settings(bench)));
    out
}

/// The queue scenario's two rows: graphile-worker is the baseline, sous is measured against it.
fn queue_rows(q: &QueueScenario) -> [Row; 2] {
    let f = &q.figures;
    let g = &f.graphile;
    let sous_commits = median(f.sous.rounds.iter().map(|r| r.round.commits_per_task));
    let graphile_commits = median(g.rounds.iter().map(|r| r.commits_per_job));
    let errors: u64 = f
        .sous
        .rounds
        .iter()
        .map(|r| r.failed + r.run_twice + u64::from(!r.round.complete))
        .sum::<u64>()
        + g.rounds.iter().map(|r| u64::from(!r.complete)).sum::<u64>();
    [
        Row {
            scenario: format!(
                "queue: graphile-worker {} no-op jobs, {} at once (baseline)",
                g.version, g.concurrency
            ),
            figure: format!(
                "{} jobs/s ({} commits/job)",
                thousands(g.median_jobs_per_s),
                ratio(graphile_commits)
            ),
            latency: "—".into(),
            errors: "—".into(),
            ratio: "1 (baseline)".into(),
            target: "—".into(),
            result: "—".into(),
        },
        Row {
            scenario: format!(
                "queue: sous workers no-op tasks, {} at once",
                f.sous.workers * f.sous.concurrency_per_worker
            ),
            figure: format!(
                "{} tasks/s ({} commits/task)",
                thousands(f.sous.median_tasks_per_s),
                ratio(sous_commits)
            ),
            latency: "—".into(),
            errors: errors.to_string(),
            ratio: format!("{} × graphile-worker", ratio(f.ratio)),
            target: q.target.description.clone(),
            result: verdict(&q.target),
        },
    ]
}

/// One line on how each side of the queue scenario was set up.
fn queue_settings(f: &QueueBench) -> String {
    let g = &f.graphile;
    let s = &f.sous;
    format!(
        "Queue: {} no-op tasks per side per round, {} rounds, medians compared; sous: {} \
         worker(s) × {} slots, batch size {} (claim-ahead up to {}), {} owner connections each, synchronous_commit {}; \
         graphile-worker {} on Node {}: concurrency {}, localQueue.size {}, \
         complete/failJobBatchDelay {} ms, maxPoolSize {}.",
        thousands(f.tasks as f64),
        f.rounds,
        s.workers,
        s.concurrency_per_worker,
        s.batch_size,
        s.max_claim_ahead,
        s.pool_connections_per_worker,
        if s.synchronous_commit { "on" } else { "off" },
        g.version,
        g.node,
        g.concurrency,
        g.local_queue_size,
        g.complete_job_batch_delay_ms,
        g.max_pool_size
    )
}

fn short_commit(run: &RunInfo) -> String {
    let commit = run
        .git_commit
        .as_deref()
        .map_or("unknown", |c| &c[..c.len().min(10)]);
    match run.git_dirty {
        Some(true) => format!("{commit} (modified)"),
        _ => commit.to_string(),
    }
}

/// One line of the results table, already formatted.
struct Row {
    scenario: String,
    figure: String,
    latency: String,
    errors: String,
    ratio: String,
    target: String,
    result: String,
}

const HEADERS: [&str; 7] = [
    "Scenario",
    "Figure",
    "p50 / p99",
    "Errors",
    "Ratio",
    "Target",
    "Result",
];

impl Row {
    fn cells(&self) -> [&str; 7] {
        [
            &self.scenario,
            &self.figure,
            &self.latency,
            &self.errors,
            &self.ratio,
            &self.target,
            &self.result,
        ]
    }
}

fn http_row(load: &LoadResult) -> Row {
    Row {
        scenario: String::new(),
        figure: format!("{} req/s", thousands(load.requests_per_s)),
        latency: format!("{:.2} / {:.2} ms", load.p50_ms, load.p99_ms),
        errors: load.errors.to_string(),
        ratio: String::new(),
        target: String::new(),
        result: String::new(),
    }
}

fn verdict(t: &Target) -> String {
    if t.pass { "PASS" } else { "MISSED" }.into()
}

/// Three significant figures: 0.512, 0.00123, 1.87.
fn ratio(r: f64) -> String {
    if r <= 0.0 || !r.is_finite() {
        return format!("{r}");
    }
    let decimals = (2 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}")
}

/// Whole numbers with thin groups: 24 691.
fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn text_table(rows: &[Row]) -> String {
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.cells()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(HEADERS)];
    out.push(line(
        widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str),
    ));
    out.extend(rows.iter().map(|r| line(r.cells())));
    out.join("\n")
}

fn markdown_table(rows: &[Row]) -> String {
    let line = |cells: [&str; 7]| format!("| {} |\n", cells.join(" | "));
    let mut out = line(HEADERS);
    out.push_str(&line(["---"; 7]));
    for row in rows {
        out.push_str(&line(row.cells()));
    }
    out
}

/// Puts `section` between the results markers of `doc`, keeping everything else; a document
/// without markers gets a results section appended.
pub fn replace_section(doc: &str, section: &str) -> anyhow::Result<String> {
    let block = format!("{README_START}\n{}\n{README_END}", section.trim_end());
    let Some(start) = doc.find(README_START) else {
        let sep = if doc.is_empty() || doc.ends_with("\n\n") {
            ""
        } else if doc.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        return Ok(format!("{doc}{sep}## Latest results\n\n{block}\n"));
    };
    let Some(end) = doc[start..].find(README_END).map(|i| start + i) else {
        bail!("{README_START} without a following {README_END}");
    };
    Ok(format!(
        "{}{block}{}",
        &doc[..start],
        &doc[end + README_END.len()..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
    }

    /// The report of a run's figures as `bench/results/*.json` holds them.
    fn report_of(json: &serde_json::Value) -> Report {
        fn part<T: serde::de::DeserializeOwned>(v: &serde_json::Value, path: &str) -> T {
            let at = path.split('.').fold(v, |v, k| &v[k]);
            serde_json::from_value(at.clone()).unwrap_or_else(|e| panic!("{path}: {e}"))
        }
        let mut run: RunInfo = part(json, "run");
        run.now = DateTime::parse_from_rfc3339(&run.timestamp)
            .unwrap()
            .with_timezone(&Utc);
        Report::new(
            run,
            Measured {
                pgbench: part(json, "baselines.pgbench"),
                pgbench_tpcb: part(json, "baselines.pgbench_tpcb"),
                bare_axum: part(json, "baselines.bare_axum"),
                health: part(json, "scenarios.health"),
                login: part(json, "scenarios.login"),
                cold_start: part(json, "scenarios.cold_start"),
                sse: part(json, "scenarios.sse_fanout"),
                catalog: part(json, "scenarios.catalog"),
                checkout: part(json, "scenarios.checkout"),
                kds: part(json, "scenarios.kds"),
                queue: part(json, "scenarios.queue"),
                web: part(json, "scenarios.web.figures"),
            },
        )
    }

    /// `rendered` is the content of `fixtures/<file>`; `BENCH_UPDATE_FIXTURES=1` rewrites it.
    fn assert_renders(file: &str, rendered: &str) {
        let path = fixtures().join(file);
        if std::env::var_os("BENCH_UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, rendered).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap();
        assert_eq!(rendered, expected, "{file} changed");
    }

    fn known_run() -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("results.json")).unwrap())
            .unwrap()
    }

    /// A report rebuilt from a real run's figures (`fixtures/results.json`, a
    /// `bench/results/*.json` file) renders exactly as the files beside it: moving a
    /// scenario's rows or verdicts elsewhere must not change what a run prints.
    #[test]
    fn a_known_run_renders_as_before() {
        let json = known_run();
        let report = report_of(&json);
        assert_eq!(
            report.all_targets_met,
            json["all_targets_met"].as_bool().unwrap()
        );
        assert_renders("report.txt", &report.text());
        assert_renders("report.md", &report.markdown());
    }

    /// The same run with every target missed: each scenario's verdict and its MISSED line.
    #[test]
    fn a_run_missing_every_target_says_so() {
        let mut json = known_run();
        let s = &mut json["scenarios"];
        s["health"]["errors"] = 5.into();
        s["cold_start"]["median_ms"] = 99.0.into();
        s["sse_fanout"]["p99_ms"] = 500.0.into();
        s["sse_fanout"]["memory_per_connection_kb"] = 50.0.into();
        s["catalog"]["menu"]["sous"]["errors"] = 3.into();
        s["catalog"]["search"]["single_connection"]["overall"]["errors"] = 1.into();
        s["checkout"]["trial_balance"] = 7.into();
        s["kds"]["tickets_seen"] = 499.into();
        s["queue"]["all_done"] = false.into();
        s["web"]["figures"]["js_gzip_bytes"] = 999_999.into();
        s["web"]["figures"]["kds_new_ticket"]["ms"] = 2000.0.into();
        let report = report_of(&json);
        assert!(!report.all_targets_met);
        let text = report.text();
        let missed: Vec<&str> = text.lines().filter(|l| l.starts_with("MISSED  ")).collect();
        for scenario in [
            "GET /api/health",
            "cold start",
            "SSE fan-out",
            "SSE memory",
            "cached menu",
            "search at 1 conn",
            "checkout",
            "KDS",
            "queue",
            "web",
        ] {
            assert!(
                missed.iter().any(|l| l.contains(scenario)),
                "no MISSED line for {scenario}: {missed:?}"
            );
        }
        assert_renders("report-missed.txt", &text);
    }

    #[test]
    fn replaces_only_between_markers() {
        let doc = "# Bench\n\nintro\n\n<!-- results:start -->\nold table\n<!-- results:end -->\n\nafter\n";
        let out = replace_section(doc, "| new |\n").unwrap();
        assert_eq!(
            out,
            "# Bench\n\nintro\n\n<!-- results:start -->\n| new |\n<!-- results:end -->\n\nafter\n"
        );
        // Idempotent: a second run with the same table changes nothing.
        assert_eq!(replace_section(&out, "| new |").unwrap(), out);
    }

    #[test]
    fn appends_a_section_when_markers_are_missing() {
        let out = replace_section("# Bench\n", "t").unwrap();
        assert_eq!(
            out,
            "# Bench\n\n## Latest results\n\n<!-- results:start -->\nt\n<!-- results:end -->\n"
        );
    }

    #[test]
    fn refuses_an_unterminated_section() {
        assert!(replace_section("<!-- results:start -->\nhalf", "t").is_err());
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(ratio(0.51234), "0.512");
        assert_eq!(ratio(0.0012345), "0.00123");
        assert_eq!(ratio(1.8765), "1.88");
        assert_eq!(ratio(123.4), "123");
        assert_eq!(thousands(24691.4), "24 691");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1234567.0), "1 234 567");
    }

    #[test]
    fn queue_rows_compare_sous_with_graphile() {
        let scenario = |sous_per_s| {
            let figures = crate::queue::sample(sous_per_s);
            QueueScenario {
                target: Target {
                    description: "t".into(),
                    pass: figures.ratio >= QUEUE_MIN_RATIO && figures.all_done,
                },
                figures,
            }
        };
        let slow = scenario(2_500.0);
        assert!(!slow.target.pass);
        let [graphile, sous] = queue_rows(&slow);
        assert_eq!(graphile.ratio, "1 (baseline)");
        assert!(
            graphile.figure.starts_with("10 000 jobs/s"),
            "{}",
            graphile.figure
        );
        assert!(sous.figure.starts_with("2 500 tasks/s"), "{}", sous.figure);
        assert_eq!(sous.ratio, "0.250 × graphile-worker");
        assert_eq!(
            (sous.errors.as_str(), sous.result.as_str()),
            ("0", "MISSED")
        );
        assert!(scenario(12_000.0).target.pass);
        assert!(queue_settings(&slow.figures).contains("localQueue.size 100"));
    }

    #[test]
    fn web_rows_show_each_budget() {
        let fast = WebScenario::new(crate::web_scenarios::sample(4.0, 15_000, Some(180.0)));
        assert!(fast.targets().all(|t| t.pass));
        let rows = web_rows(&fast);
        assert_eq!(rows.len(), 3);
        assert!(rows[1].figure.contains("14.6 KB gzip"));
        assert!(web_missed(&fast).is_empty());

        let slow = WebScenario::new(crate::web_scenarios::sample(80.0, 70_000, Some(1500.0)));
        assert_eq!(web_missed(&slow).len(), 3);
        assert!(web_table(&slow.figures).contains("MISSED  web: /en/menu/burgers p99 80.00 ms"));

        // Without a browser test run the latency is reported as missing, with no verdict.
        let unmeasured = WebScenario::new(crate::web_scenarios::sample(4.0, 15_000, None));
        assert!(unmeasured.kds_target.is_none());
        assert!(web_rows(&unmeasured)[2].figure.contains("not measured"));
    }

    #[test]
    fn catalog_rows_show_each_target() {
        // One connection under 5 ms, five times that under load: the target is met.
        let fast = CatalogScenario::new(crate::catalog_scenarios::sample(
            0.6,
            &[1.0, 2.0, 3.0, 4.0, 4.9],
        ));
        assert!(fast.menu_target.pass && fast.search_target.pass);
        let rows = catalog_rows(&fast);
        // Baseline, menu, search at 1 conn, one row per class, pgbench, search under load.
        assert_eq!(rows.len(), 3 + 5 + 2);
        assert_eq!(rows[0].ratio, "1 (baseline)");
        assert!(rows[0].scenario.contains("70.1 kB"), "{}", rows[0].scenario);
        assert_eq!(rows[1].ratio, "0.600 × bare axum (same body)");
        assert_eq!(rows[1].result, "PASS");
        assert!(
            rows[2].scenario.contains("1 conn — all"),
            "{}",
            rows[2].scenario
        );
        assert!(
            rows[3].scenario.contains("`chicken burger`, `shawarma`"),
            "{}",
            rows[3].scenario
        );
        assert!(rows[2..8].iter().all(|r| r.result == "PASS"));
        assert_eq!(rows[7].latency, "2.45 / 4.90 ms");
        assert!(
            rows[7].figure.starts_with("8 conns 12.25 / 24.50 ms"),
            "{}",
            rows[7].figure
        );
        assert_eq!(rows[8].ratio, "1 (baseline)");
        assert!(
            rows[8].figure.starts_with("20 000 tps"),
            "{}",
            rows[8].figure
        );
        assert!(rows[9].scenario.contains("8 conns"), "{}", rows[9].scenario);
        assert_eq!(rows[9].figure, "1 000 req/s");
        assert_eq!(rows[9].ratio, "0.0500 × pgbench");
        assert_eq!(rows[9].result, "—");
        assert!(catalog_missed(&fast).is_empty());

        let slow = CatalogScenario::new(crate::catalog_scenarios::sample(
            0.4,
            &[1.0, 2.0, 9.0, 4.0, 4.0],
        ));
        assert!(!slow.menu_target.pass && !slow.search_target.pass);
        let rows = catalog_rows(&slow);
        assert_eq!(rows[1].result, "MISSED");
        assert_eq!(rows[2].result, "MISSED");
        assert_eq!(rows[5].result, "MISSED", "{}", rows[5].scenario);
        assert_eq!(rows[4].result, "PASS");
        let missed = catalog_missed(&slow);
        assert_eq!(missed.len(), 2);
        assert!(missed[1].contains("typo p99 9.00 ms"), "{}", missed[1]);
        assert!(catalog_table(&slow.figures).contains("MISSED  cached menu"));
    }

    #[test]
    fn tables_line_up() {
        let row = Row {
            scenario: "a".into(),
            figure: "1 req/s".into(),
            latency: "—".into(),
            errors: "0".into(),
            ratio: "1".into(),
            target: "—".into(),
            result: "PASS".into(),
        };
        let text = text_table(std::slice::from_ref(&row));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("Scenario  Figure "));
        let md = markdown_table(&[row]);
        assert!(md.ends_with("| a | 1 req/s | — | 0 | 1 | — | PASS |\n"));
    }
}
