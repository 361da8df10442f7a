//! Cold start: spawning `sous` until its first 200.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, verdict},
};
use crate::scenarios::ColdStart;

/// Median cold start must stay under this.
pub const COLD_START_MAX_MEDIAN_MS: f64 = 50.0;

#[derive(Debug, Serialize)]
pub struct ColdStartScenario {
    #[serde(flatten)]
    pub figures: ColdStart,
    pub target: Target,
}

impl ColdStartScenario {
    pub fn new(figures: ColdStart) -> Self {
        Self {
            target: Target {
                description: format!("median < {COLD_START_MAX_MEDIAN_MS} ms"),
                pass: figures.median_ms < COLD_START_MAX_MEDIAN_MS,
            },
            figures,
        }
    }
}

impl Section for ColdStartScenario {
    fn targets(&self) -> Vec<&Target> {
        vec![&self.target]
    }

    fn rows(&self) -> Vec<Row> {
        let f = &self.figures;
        vec![Row {
            scenario: "cold start: spawn → first 200".into(),
            figure: format!(
                "median {:.1} ms (min {:.1}, p90 {:.1})",
                f.median_ms, f.min_ms, f.p90_ms
            ),
            latency: "—".into(),
            errors: "—".into(),
            ratio: "—".into(),
            target: self.target.description.clone(),
            result: verdict(&self.target),
        }]
    }

    fn missed(&self) -> Vec<String> {
        if self.target.pass {
            return Vec::new();
        }
        vec![format!(
            "cold start: median {:.1} ms (target {})",
            self.figures.median_ms, self.target.description
        )]
    }
}
