//! A task worker for a test: the process's handlers, on the test's database, until stopped.

use std::sync::Arc;

use platform::queue::{Worker, WorkerConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::TestApp;

/// A worker running every context's task handlers; [`RunningWorker::stop`] waits for it.
pub struct RunningWorker {
    stop: CancellationToken,
    running: JoinHandle<platform::error::Result<()>>,
}

impl RunningWorker {
    pub async fn stop(self) {
        self.stop.cancel();
        self.running.await.unwrap().unwrap();
    }
}

impl TestApp {
    /// Starts a task worker with two slots, claiming through an owner connection as
    /// `sous serve` does.
    pub async fn start_worker(&self) -> RunningWorker {
        let owner_pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect_with(self.db.owner_options())
            .await
            .unwrap();
        let worker = Worker::new(
            owner_pool,
            self.state.db.clone(),
            Arc::new(sous::background::registry()),
            WorkerConfig {
                concurrency: 2,
                ..WorkerConfig::default()
            },
        )
        .unwrap();
        let stop = CancellationToken::new();
        let running = tokio::spawn(worker.run(stop.clone()));
        RunningWorker { stop, running }
    }
}
