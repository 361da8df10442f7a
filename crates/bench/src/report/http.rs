//! Plain HTTP scenarios (`GET /api/health`, `POST /api/auth/login`) against bare axum and
//! pgbench on the same machine.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, http_row, ratio, verdict},
};
use crate::{baseline::PgbenchResult, loadgen::LoadResult};

/// `GET /api/health` must keep at least this share of a bare axum endpoint's throughput.
pub const HEALTH_MIN_RATIO: f64 = 0.5;

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

impl HttpScenario {
    /// `min_ratio`: the share of bare axum's requests/s the request must keep; `None` reports
    /// the figure without a verdict.
    pub fn new(
        request: &'static str,
        load: LoadResult,
        bare_axum: &LoadResult,
        pgbench: &PgbenchResult,
        min_ratio: Option<f64>,
    ) -> Self {
        let ratio = load.requests_per_s / bare_axum.requests_per_s;
        Self {
            request,
            ratio_to_bare_axum: ratio,
            ratio_to_pgbench: load.requests_per_s / pgbench.tps,
            target: min_ratio.map(|min| Target {
                description: format!("≥ {min} × bare axum, no errors"),
                pass: ratio >= min && load.errors == 0,
            }),
            load,
        }
    }
}

impl Section for HttpScenario {
    fn targets(&self) -> Vec<&Target> {
        self.target.iter().collect()
    }

    fn rows(&self) -> Vec<Row> {
        vec![Row {
            scenario: self.request.into(),
            ratio: format!(
                "{} × axum, {} × pgbench",
                ratio(self.ratio_to_bare_axum),
                ratio(self.ratio_to_pgbench)
            ),
            target: self
                .target
                .as_ref()
                .map_or("— (reported only)".into(), |t| t.description.clone()),
            result: self.target.as_ref().map_or("—".into(), verdict),
            ..http_row(&self.load)
        }]
    }

    fn missed(&self) -> Vec<String> {
        self.target
            .iter()
            .filter(|t| !t.pass)
            .map(|t| {
                format!(
                    "{}: {} × bare axum with {} errors (target {})",
                    self.request,
                    ratio(self.ratio_to_bare_axum),
                    self.load.errors,
                    t.description
                )
            })
            .collect()
    }

    fn notes(&self) -> Vec<String> {
        super::error_note(self.request, &self.load)
            .into_iter()
            .collect()
    }
}
