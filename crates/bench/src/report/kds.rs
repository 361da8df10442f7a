//! The kitchen's verdict: an accepted order's ticket on the kitchen stream while orders flow.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, verdict},
};
use crate::kds_scenarios::KdsBench;

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
}

impl Section for KdsScenario {
    fn targets(&self) -> Vec<&Target> {
        vec![&self.target]
    }

    fn rows(&self) -> Vec<Row> {
        vec![self.row()]
    }

    fn missed(&self) -> Vec<String> {
        self.missed_line().into_iter().collect()
    }
}

impl KdsScenario {
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

    fn missed_line(&self) -> Option<String> {
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
