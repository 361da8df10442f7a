//! The catalog's verdicts: the cached menu against bare axum answering the same bytes, and
//! search over 100 000 items.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, http_row, ratio, text_table, thousands, verdict},
};
use crate::{catalog_scenarios::CatalogBench, loadgen::ClassResult};

/// The cached menu must keep at least this share of the requests/s of bare axum answering a
/// body of the same size, at the same connections.
pub const MENU_MIN_RATIO: f64 = 0.5;
/// …with p99 under this.
pub const MENU_MAX_P99_MS: f64 = 10.0;
/// Search over 100 000 items: p99 per query under this for every class of query, read on one
/// connection (a query's own latency, no queueing behind other requests).
pub const SEARCH_MAX_P99_MS: f64 = 5.0;

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

impl Section for CatalogScenario {
    fn targets(&self) -> Vec<&Target> {
        vec![&self.menu_target, &self.search_target]
    }

    fn rows(&self) -> Vec<Row> {
        catalog_rows(self)
    }

    fn missed(&self) -> Vec<String> {
        catalog_missed(self)
    }

    fn notes(&self) -> Vec<String> {
        let f = &self.figures;
        [
            ("cached menu, bare axum", &f.menu.bare_axum),
            ("cached menu", &f.menu.sous),
            ("search, 1 connection", &f.search.single_connection.overall),
            ("search under load", &f.search.load.overall),
        ]
        .into_iter()
        .filter_map(|(name, load)| super::error_note(name, load))
        .collect()
    }

    fn settings(&self) -> Option<String> {
        Some(catalog_settings(&self.figures))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
