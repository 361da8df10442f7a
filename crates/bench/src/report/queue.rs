//! The task queue's verdict: sous's workers against graphile-worker on the same cluster.

use serde::Serialize;

use super::{
    Section, Target,
    table::{Row, ratio, thousands, verdict},
};
use crate::queue::{QueueBench, median};

/// sous's workers must do at least this many no-op tasks per graphile-worker job.
pub const QUEUE_MIN_RATIO: f64 = 1.0;

#[derive(Debug, Serialize)]
pub struct QueueScenario {
    #[serde(flatten)]
    pub figures: QueueBench,
    /// sous's median rate / graphile-worker's, with every task of every round done exactly once.
    pub target: Target,
}

impl QueueScenario {
    pub fn new(figures: QueueBench) -> Self {
        Self {
            target: Target {
                description: format!("≥ {QUEUE_MIN_RATIO} × graphile-worker, every task done once"),
                pass: figures.ratio >= QUEUE_MIN_RATIO && figures.all_done,
            },
            figures,
        }
    }
}

impl Section for QueueScenario {
    fn targets(&self) -> Vec<&Target> {
        vec![&self.target]
    }

    fn rows(&self) -> Vec<Row> {
        queue_rows(self).into()
    }

    fn missed(&self) -> Vec<String> {
        let q = self;
        if q.target.pass {
            return Vec::new();
        }
        vec![format!(
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
        )]
    }

    fn settings(&self) -> Option<String> {
        Some(queue_settings(&self.figures))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_rows_compare_sous_with_graphile() {
        let scenario = |sous_per_s| QueueScenario::new(crate::queue::sample(sous_per_s));
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
}
