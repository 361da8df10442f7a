//! The checkout's verdict: orders per second against pgbench's TPC-B on the same cluster, with
//! the books right afterwards.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, http_row, ratio, thousands, verdict},
};
use crate::{baseline::PgbenchResult, checkout_scenarios::CheckoutBench};

/// Checkout at 16 connections: at least this many orders per pgbench TPC-B transaction at 16
/// clients…
pub const CHECKOUT_MIN_RATIO: f64 = 0.4;
/// …with p99 under this.
pub const CHECKOUT_MAX_P99_MS: f64 = 50.0;

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
}

impl Section for CheckoutScenario {
    fn targets(&self) -> Vec<&Target> {
        vec![&self.target]
    }

    fn rows(&self) -> Vec<Row> {
        vec![self.row()]
    }

    fn missed(&self) -> Vec<String> {
        self.missed_line().into_iter().collect()
    }

    fn notes(&self) -> Vec<String> {
        super::error_note("checkout", &self.figures.load)
            .into_iter()
            .collect()
    }
}

impl CheckoutScenario {
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

    fn missed_line(&self) -> Option<String> {
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
