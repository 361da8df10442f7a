//! The till's budgets, from the last browser test run: the first screen's JavaScript, a tap to
//! its line on the check, a cold start offline and "Send to kitchen" to the kitchen display.

use super::{
    Target,
    table::{Row, verdict},
};
use crate::web_scenarios::{Measured, TillBudgets};

/// JavaScript of the PIN screen of a registered till, gzip.
pub const TILL_MAX_FIRST_SCREEN_JS: f64 = 150.0 * 1024.0;
/// Tap → line on the check, p95 over 100 taps.
pub const TILL_MAX_TAP_P95_MS: f64 = 50.0;
/// Reload offline → PIN screen, from the service worker.
pub const TILL_MAX_COLD_START_MS: f64 = 1000.0;
/// "Send to kitchen" → ticket on the kitchen display.
pub const TILL_MAX_SEND_TO_KDS_MS: f64 = 500.0;

struct Budget {
    scenario: &'static str,
    limit: f64,
    unit: &'static str,
    measured: Option<Measured>,
}

impl Budget {
    fn show(&self, v: f64) -> String {
        if self.unit == "KB" {
            format!("{:.1} KB gzip", v / 1024.0)
        } else {
            format!("{v:.0} ms")
        }
    }

    fn target(&self) -> Target {
        let limit = if self.unit == "KB" {
            format!("≤ {:.0} KB gzip", self.limit / 1024.0)
        } else {
            format!("< {:.0} ms", self.limit)
        };
        Target {
            description: limit,
            pass: self
                .measured
                .as_ref()
                .is_some_and(|m| m.value <= self.limit),
        }
    }
}

fn budgets(t: &TillBudgets) -> [Budget; 4] {
    [
        Budget {
            scenario: "till: JavaScript of the first screen (browser test)",
            limit: TILL_MAX_FIRST_SCREEN_JS,
            unit: "KB",
            measured: t.first_screen_js.clone(),
        },
        Budget {
            scenario: "till: tap → line on the check, p95 of 100 (browser test)",
            limit: TILL_MAX_TAP_P95_MS,
            unit: "ms",
            measured: t.tap_to_line_p95_ms.clone(),
        },
        Budget {
            scenario: "till: cold start offline → PIN screen (browser test)",
            limit: TILL_MAX_COLD_START_MS,
            unit: "ms",
            measured: t.cold_start_offline_ms.clone(),
        },
        Budget {
            scenario: "till: send → ticket on the KDS (browser test)",
            limit: TILL_MAX_SEND_TO_KDS_MS,
            unit: "ms",
            measured: t.send_to_kds_ms.clone(),
        },
    ]
}

/// The targets of the figures that were measured (an unmeasured one has no verdict).
pub fn till_targets(t: &TillBudgets) -> Vec<Target> {
    budgets(t)
        .into_iter()
        .filter(|b| b.measured.is_some())
        .map(|b| b.target())
        .collect()
}

pub fn till_rows(t: &TillBudgets) -> Vec<Row> {
    budgets(t)
        .into_iter()
        .map(|b| {
            let target = b.target();
            match &b.measured {
                Some(m) => Row {
                    scenario: b.scenario.into(),
                    figure: format!("measured {}", m.at),
                    latency: b.show(m.value),
                    errors: "—".into(),
                    ratio: "—".into(),
                    target: target.description.clone(),
                    result: verdict(&target),
                },
                None => Row {
                    scenario: b.scenario.into(),
                    figure: "not measured: run `make web-test` first".into(),
                    latency: "—".into(),
                    errors: "—".into(),
                    ratio: "—".into(),
                    target: target.description,
                    result: "—".into(),
                },
            }
        })
        .collect()
}

pub fn till_missed(t: &TillBudgets) -> Vec<String> {
    budgets(t)
        .into_iter()
        .filter_map(|b| {
            let m = b.measured.as_ref()?;
            let target = b.target();
            (!target.pass).then(|| {
                format!(
                    "{} {} (target {})",
                    b.scenario,
                    b.show(m.value),
                    target.description
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: f64) -> Option<Measured> {
        Some(Measured {
            value,
            at: "2026-12-07T22:00:00Z".into(),
        })
    }

    #[test]
    fn each_till_budget_is_a_row_with_its_verdict() {
        let fast = TillBudgets {
            first_screen_js: at(90_000.0),
            tap_to_line_p95_ms: at(12.0),
            cold_start_offline_ms: at(400.0),
            send_to_kds_ms: at(180.0),
        };
        assert_eq!(till_rows(&fast).len(), 4);
        assert!(till_targets(&fast).iter().all(|t| t.pass));
        assert!(till_rows(&fast)[0].latency.contains("87.9 KB gzip"));
        assert!(till_missed(&fast).is_empty());

        let slow = TillBudgets {
            tap_to_line_p95_ms: at(80.0),
            ..TillBudgets::default()
        };
        assert_eq!(
            till_targets(&slow).len(),
            1,
            "unmeasured figures get no verdict"
        );
        assert_eq!(till_missed(&slow).len(), 1);
        assert!(till_rows(&slow)[0].figure.contains("not measured"));
    }
}
