//! Group commit: concurrent writes of one kind, for one caller, made in one transaction.
//!
//! A busy write path (checkout) pays more per transaction and per statement than per row: the
//! round trips, the executor's start-up, the commit and its WAL flush. Here each write is one
//! JSON row handed to a database function that takes a JSON array of them; requests that
//! arrive while a batch is being written wait for the next one, which takes every row queued
//! by then. Nothing waits for a batch to fill: a lone request is written at once, alone.
//!
//! Rows are queued per lane — the same function under the same [`TenantScope`] — so a batch
//! runs for one caller, under that caller's row-level security, and never mixes brands or
//! users. A few batches of a lane run at once ([`WRITERS_PER_LANE`]), so the database's cores
//! all work while one batch waits for its flush.
//!
//! The function's contract: `f(jsonb) returns table (batch_position integer, answer jsonb)`;
//! it writes every row of the array but those it returns, each with the reason it gives (for
//! checkout, the answer a concurrent request with the same idempotency key stored first). If
//! the batch fails, each of its rows is tried again alone, so one bad row fails only itself.
//! A caller that goes away does not take its row out of a batch: what it asked for is
//! written, and its retry finds it (the idempotency key).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde_json::Value;
use sqlx::types::Json;
use tokio::sync::oneshot;

use crate::{
    db::{Db, TenantScope},
    error::Result,
};

/// Batches of one lane written at the same time.
pub const WRITERS_PER_LANE: usize = 3;
/// The most rows in one batch.
pub const MAX_BATCH: usize = 64;

/// What became of a row: `None` when it was written, else what the function answered instead.
pub type Outcome = Option<Value>;

#[derive(Default)]
pub struct GroupCommit {
    lanes: Mutex<HashMap<Lane, Queue>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Lane {
    function: &'static str,
    scope: TenantScope,
}

#[derive(Default)]
struct Queue {
    rows: Vec<Pending>,
    writers: usize,
}

struct Pending {
    row: Value,
    reply: oneshot::Sender<Result<Outcome>>,
}

impl GroupCommit {
    /// Writes `row` through `function` (a trusted name from the code, not input) in the next
    /// batch of its lane, and returns once that batch has committed.
    pub async fn write(
        self: &Arc<Self>,
        db: &Db,
        function: &'static str,
        scope: TenantScope,
        row: Value,
    ) -> Result<Outcome> {
        let lane = Lane { function, scope };
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
            let queue = lanes.entry(lane).or_default();
            queue.rows.push(Pending { row, reply });
            let start = queue.writers < WRITERS_PER_LANE;
            if start {
                queue.writers += 1;
            }
            start
        };
        if start_writer {
            // Its own task: a request that goes away must not stop the batch it is part of.
            tokio::spawn(writer(self.clone(), db.clone(), lane));
        }
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the batch writer of {function} stopped"))?
    }

    /// The next rows of `lane`, or `None` (and one writer fewer) when none are waiting.
    fn next_batch(&self, lane: &Lane) -> Option<Vec<Pending>> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let queue = lanes.get_mut(lane)?;
        if queue.rows.is_empty() {
            queue.writers -= 1;
            if queue.writers == 0 {
                lanes.remove(lane);
            }
            return None;
        }
        let n = queue.rows.len().min(MAX_BATCH);
        Some(queue.rows.drain(..n).collect())
    }
}

/// Writes batches of `lane` until none is waiting.
async fn writer(lanes: Arc<GroupCommit>, db: Db, lane: Lane) {
    // Should this task end early (a panic), the lane must not keep counting it as a writer.
    struct Leaving<'a>(&'a GroupCommit, Lane, bool);
    impl Drop for Leaving<'_> {
        fn drop(&mut self) {
            if !self.2 {
                let mut lanes = self.0.lanes.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(queue) = lanes.get_mut(&self.1) {
                    queue.writers -= 1;
                }
            }
        }
    }
    let mut leaving = Leaving(&lanes, lane, false);
    while let Some(batch) = lanes.next_batch(&lane) {
        write_batch(&db, &lane, batch).await;
    }
    leaving.2 = true;
}

async fn write_batch(db: &Db, lane: &Lane, batch: Vec<Pending>) {
    let rows: Vec<&Value> = batch.iter().map(|p| &p.row).collect();
    match run(db, lane, &rows).await {
        Ok(mut outcomes) => {
            for (i, pending) in batch.into_iter().enumerate() {
                let _ = pending.reply.send(Ok(outcomes.remove(&i)));
            }
        }
        Err(e) if batch.len() == 1 => {
            let _ = batch.into_iter().next().map(|p| p.reply.send(Err(e)));
        }
        Err(e) => {
            tracing::debug!(error = %e, rows = batch.len(), "a batch failed; writing its rows one by one");
            for pending in batch {
                let outcome = run(db, lane, &[&pending.row])
                    .await
                    .map(|mut o| o.remove(&0));
                let _ = pending.reply.send(outcome);
            }
        }
    }
}

/// One transaction: the batch through the lane's function, committed, its events announced.
async fn run(db: &Db, lane: &Lane, rows: &[&Value]) -> Result<HashMap<usize, Value>> {
    let mut tx = db.begin_announcing_after_commit(lane.scope).await?;
    let answered: Vec<(i32, Value)> = sqlx::query_as(&format!(
        "select batch_position, answer from {}($1)",
        lane.function
    ))
    .bind(Json(rows))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    db.announce_events().await;
    Ok(answered
        .into_iter()
        .filter_map(|(i, v)| Some((usize::try_from(i).ok()?, v)))
        .collect())
}
