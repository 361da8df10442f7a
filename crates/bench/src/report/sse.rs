//! The SSE fan-out: one commit to thousands of open streams, and the memory each idle stream
//! costs.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, thousands, verdict},
};
use crate::sse_fanout::SseFanout;

/// Commit → receipt at every SSE client, p99, must stay under this.
pub const SSE_MAX_P99_MS: f64 = 100.0;
/// RSS growth per idle SSE connection must stay under this, in kB.
pub const SSE_MAX_KB_PER_CONNECTION: f64 = 20.0;

#[derive(Debug, Serialize)]
pub struct SseScenario {
    #[serde(flatten)]
    pub figures: SseFanout,
    /// p99 commit → receipt, with every event received by every client exactly once.
    pub latency_target: Target,
    /// RSS growth per idle connection, with every client connected.
    pub memory_target: Target,
}

impl SseScenario {
    pub fn new(sse: SseFanout) -> Self {
        Self {
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
        }
    }
}

impl Section for SseScenario {
    fn targets(&self) -> Vec<&Target> {
        vec![&self.latency_target, &self.memory_target]
    }

    fn rows(&self) -> Vec<Row> {
        let f = &self.figures;
        vec![
            Row {
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
                target: self.latency_target.description.clone(),
                result: verdict(&self.latency_target),
            },
            Row {
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
                target: self.memory_target.description.clone(),
                result: verdict(&self.memory_target),
            },
        ]
    }

    fn missed(&self) -> Vec<String> {
        let f = &self.figures;
        let mut missed = Vec::new();
        if !self.latency_target.pass {
            missed.push(format!(
                "SSE fan-out: p99 {:.2} ms, {} of {} deliveries missing, {} duplicates, {} \
                 streams ended early (target {})",
                f.p99_ms,
                f.deliveries_missing,
                f.deliveries_expected,
                f.duplicates,
                f.streams_ended_early,
                self.latency_target.description
            ));
        }
        if !self.memory_target.pass {
            missed.push(format!(
                "SSE memory: {:.1} kB per connection, {} of {} clients connected (target {})",
                f.memory_per_connection_kb, f.connected, f.clients, self.memory_target.description
            ));
        }
        missed
    }

    fn notes(&self) -> Vec<String> {
        let f = &self.figures;
        let mut notes = vec![format!(
            "SSE fan-out per event (median over the {} events): first client {:.2} ms, last \
             client {:.2} ms after COMMIT returned (max {:.2} ms); CPU per event: sous {:.1} ms, \
             harness {:.1} ms",
            f.events,
            f.first_client_median_ms,
            f.last_client_median_ms,
            f.max_ms,
            f.sous_cpu_ms_per_event,
            f.harness_cpu_ms_per_event
        )];
        if let Some(e) = &f.first_error {
            notes.push(format!(
                "note: SSE fan-out had {} connect errors and {} streams ended early; first: {e}",
                f.connect_errors, f.streams_ended_early
            ));
        }
        notes
    }
}
