//! The figures, their ratios to the baselines and the targets, in three forms: a table on stdout,
//! a JSON file per day in `bench/results/`, and the same table between markers in
//! `bench/README.md`.
//!
//! Each scenario owns its thresholds, verdicts, rows and notes in a module of its own here
//! (a [`Section`]); this module only puts the sections together and renders them. A new
//! scenario adds its module and one field of [`Scenarios`].

mod catalog;
mod checkout;
mod cold_start;
mod http;
mod kds;
mod queue;
mod sse;
mod table;
mod till;
mod web;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use self::table::{Row, http_row, markdown_table, text_table, thousands};
pub use self::{
    catalog::{CatalogScenario, catalog_table},
    checkout::CheckoutScenario,
    cold_start::ColdStartScenario,
    http::{HEALTH_MIN_RATIO, HttpScenario},
    kds::KdsScenario,
    queue::QueueScenario,
    sse::SseScenario,
    web::{WebScenario, web_table},
};
use crate::{
    COLD_START_RUNS, LOAD, baseline::PgbenchResult, catalog_scenarios::CatalogBench,
    checkout_scenarios::CheckoutBench, kds_scenarios::KdsBench, loadgen::LoadResult,
    queue::QueueBench, scenarios::ColdStart, sse_fanout::SseFanout, web_scenarios::WebBench,
};

pub const README_START: &str = "<!-- results:start -->";
pub const README_END: &str = "<!-- results:end -->";

/// What a scenario puts in the report: the targets it judges, its rows of the table, a line
/// per target missed, notes under the table and a paragraph on how it ran.
pub trait Section {
    fn targets(&self) -> Vec<&Target>;
    fn rows(&self) -> Vec<Row>;
    fn missed(&self) -> Vec<String>;
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
    fn settings(&self) -> Option<String> {
        None
    }
}

/// The first error of a load that had errors, as a note under the table.
fn error_note(name: &str, load: &LoadResult) -> Option<String> {
    load.first_error
        .as_ref()
        .map(|e| format!("note: {name} had {} errors; first: {e}", load.errors))
}

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

impl Scenarios {
    /// In the order of the table.
    fn sections(&self) -> [&dyn Section; 9] {
        [
            &self.health,
            &self.login,
            &self.cold_start,
            &self.sse_fanout,
            &self.catalog,
            &self.checkout,
            &self.kds,
            &self.queue,
            &self.web,
        ]
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
    pub fn new(run: RunInfo, m: Measured) -> Self {
        let scenarios = Scenarios {
            health: HttpScenario::new(
                "GET /api/health",
                m.health,
                &m.bare_axum,
                &m.pgbench,
                Some(HEALTH_MIN_RATIO),
            ),
            login: HttpScenario::new(
                "POST /api/auth/login",
                m.login,
                &m.bare_axum,
                &m.pgbench,
                None,
            ),
            cold_start: ColdStartScenario::new(m.cold_start),
            sse_fanout: SseScenario::new(m.sse),
            catalog: CatalogScenario::new(m.catalog),
            checkout: CheckoutScenario::new(m.checkout, &m.pgbench_tpcb),
            kds: KdsScenario::new(m.kds),
            queue: QueueScenario::new(m.queue),
            web: WebScenario::new(m.web),
        };
        let all_targets_met = scenarios
            .sections()
            .iter()
            .flat_map(|s| s.targets())
            .all(|t| t.pass);
        Self {
            run,
            baselines: Baselines {
                pgbench: m.pgbench,
                pgbench_tpcb: m.pgbench_tpcb,
                bare_axum: m.bare_axum,
            },
            scenarios,
            all_targets_met,
        }
    }

    /// The baselines' rows, then each scenario's.
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
        rows.extend(self.scenarios.sections().iter().flat_map(|s| s.rows()));
        rows
    }

    fn missed(&self) -> Vec<String> {
        self.scenarios
            .sections()
            .iter()
            .flat_map(|s| s.missed())
            .collect()
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
        if let Some(note) = error_note("bare axum", &self.baselines.bare_axum) {
            _ = writeln!(out, "{note}");
        }
        let sections = self.scenarios.sections();
        for note in sections.iter().flat_map(|s| s.notes()) {
            _ = writeln!(out, "{note}");
        }
        for settings in sections.iter().filter_map(|s| s.settings()) {
            _ = writeln!(out, "{settings}");
        }
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
        for settings in self
            .scenarios
            .sections()
            .iter()
            .filter_map(|s| s.settings())
        {
            out.push('\n');
            out.push_str(&settings);
            out.push('\n');
        }
        out
    }
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
}
