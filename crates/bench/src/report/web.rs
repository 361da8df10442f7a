//! The web app's budgets: the menu page's server response and JavaScript, and the kitchen
//! display's latency from the last browser test.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, text_table, thousands, verdict},
    till::{till_missed, till_rows, till_targets},
};
use crate::web_scenarios::WebBench;

/// The menu page's server response, p99 with a warm cache, on one connection.
pub const WEB_MENU_MAX_P99_MS: f64 = 50.0;
/// JavaScript a browser loads for the menu page, gzip.
pub const WEB_MENU_MAX_JS_GZIP: u64 = 60 * 1024;
/// Order accepted → ticket on the kitchen screen, in the browser.
pub const KDS_MAX_NEW_TICKET_MS: f64 = 1000.0;

/// The web app's budgets: the menu page's p99 and JavaScript, and the kitchen display's latency
/// (reported from the last browser test; no target verdict without one).
#[derive(Debug, Serialize)]
pub struct WebScenario {
    pub figures: WebBench,
    pub menu_target: Target,
    pub js_target: Target,
    pub kds_target: Option<Target>,
    pub till_targets: Vec<Target>,
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
        let till_targets = till_targets(&figures.till);
        Self {
            figures,
            menu_target,
            js_target,
            kds_target,
            till_targets,
        }
    }
}

impl Section for WebScenario {
    fn targets(&self) -> Vec<&Target> {
        [&self.menu_target, &self.js_target]
            .into_iter()
            .chain(self.kds_target.as_ref())
            .chain(&self.till_targets)
            .collect()
    }

    fn rows(&self) -> Vec<Row> {
        web_rows(self)
    }

    fn missed(&self) -> Vec<String> {
        web_missed(self)
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
    rows.extend(till_rows(&f.till));
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
    missed.extend(till_missed(&f.till));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_rows_show_each_budget() {
        let fast = WebScenario::new(crate::web_scenarios::sample(4.0, 15_000, Some(180.0)));
        assert!(fast.targets().into_iter().all(|t| t.pass));
        let rows = web_rows(&fast);
        assert_eq!(
            rows.len(),
            7,
            "the menu page, its JavaScript, the KDS and the till's four"
        );
        assert!(rows[1].figure.contains("14.6 KB gzip"));
        assert!(web_missed(&fast).is_empty());

        let slow = WebScenario::new(crate::web_scenarios::sample(80.0, 70_000, Some(1500.0)));
        assert_eq!(web_missed(&slow).len(), 3);
        assert!(web_table(&slow.figures).contains("MISSED  web: /en/menu/burgers p99 80.00 ms"));

        // Without a browser test run the latency is reported as missing, with no verdict.
        let unmeasured = WebScenario::new(crate::web_scenarios::sample(4.0, 15_000, None));
        assert!(unmeasured.kds_target.is_none());
        assert!(web_rows(&unmeasured)[2].figure.contains("not measured"));
        assert!(web_rows(&unmeasured)[3].figure.contains("not measured"));
    }
}
