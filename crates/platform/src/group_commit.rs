//! Group commit: concurrent writes of one kind, for one caller, made in one transaction.
//!
//! A busy write path (checkout) pays more per transaction and per statement than per row: the
//! round trips, the executor's start-up, the commit and its WAL flush. Here each write is one
//! [`Row`] handed to a database function that takes a JSON array of them; requests that
//! arrive while a batch is being written wait for the next one, which takes every row queued
//! by then. Nothing waits for a batch to fill: a lone request is written at once, alone.
//!
//! Rows are queued per lane — the same function under the same [`TenantScope`] — so a batch
//! runs for one caller, under that caller's row-level security, and never mixes brands or
//! users. A few batches of a lane run at once ([`WRITERS_PER_LANE`]), so the database's cores
//! all work while one batch waits for its flush; but only the first writer takes batches of
//! any size, the others wait for [`FILL`] rows, so that under load batches grow.
//!
//! The function's contract: `f(rows jsonb, documents text[]) returns table (batch_position
//! integer, answer jsonb)`, `documents[i]` being the i-th row's [`Row::document`] (1-based);
//! it writes every row of the array but those it returns, each with the reason it gives (for
//! checkout, the answer a concurrent request with the same idempotency key stored first). A
//! kind of write may also [prepare](Batched::prepare) a batch's rows just before they are
//! written, in one round trip for all of them (checkout claims their order numbers there); each
//! caller gets its row back as it was written. If the batch fails, each of its rows is tried
//! again alone, so one bad row fails only itself. A caller that goes away does not take its row
//! out of a batch: what it asked for is written, and its retry finds it (the idempotency key).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use futures::future::BoxFuture;

use serde_json::Value;
use sqlx::types::Json;
use tokio::sync::oneshot;

use crate::{
    db::{self, Db, TenantScope},
    error::Result,
};

/// Batches of one lane written at the same time: two, so that while one batch waits for its
/// flush (or its round trip) the next is being written. More writers split the same rows into
/// thinner batches, and a batch's fixed cost (its statements' start-up, constraint checks,
/// commit) is most of what a checkout costs: measured at 16 connections, 2 writers with batches
/// of ~7.6 rows beat 4 writers with ~4.1 by ~6 % (`bench checkout`, docs/ordering.md §2).
pub const WRITERS_PER_LANE: usize = 2;
/// A lane's first writer takes whatever is waiting. Another writer starts, and goes on, only
/// while at least this many rows wait: under load a batch costs its transaction, statements
/// and flush once for more rows, instead of being split thin across writers.
pub const FILL: usize = 8;
/// The most rows in one batch.
pub const MAX_BATCH: usize = 64;

/// A kind of batched write.
#[derive(Clone, Copy)]
pub struct Batched {
    /// The database function that writes a batch (a trusted name from the code, not input).
    pub function: &'static str,
    /// Run on a batch's rows just before they are written, outside the batch's transaction;
    /// it may change them. Its error fails the batch (then each row is prepared alone).
    pub prepare: Option<Prepare>,
}

/// See [`Batched::prepare`].
pub type Prepare = for<'a> fn(&'a Db, &'a mut [Row]) -> BoxFuture<'a, Result<()>>;

/// One write.
#[derive(Debug)]
pub struct Row {
    /// Its fields: an element of the batch's JSON array.
    pub fields: Value,
    /// A document the function stores as it is (checkout's answer to its request): passed as
    /// text beside the array, so the database does not parse it into the batch's jsonb — a
    /// checkout's answer is a third of its JSON, and parsing the batch was a sixth of the
    /// database's time.
    pub document: Option<String>,
}

/// A batch's arguments as the batch function takes them: the rows' fields as one JSON array,
/// and their documents beside it. Also for a caller that writes a batch in its own transaction
/// (checkout's transactional path).
pub fn arguments(rows: &[Row]) -> (Json<Vec<&Value>>, Vec<Option<&str>>) {
    (
        Json(rows.iter().map(|r| &r.fields).collect()),
        rows.iter().map(|r| r.document.as_deref()).collect(),
    )
}

impl From<Value> for Row {
    fn from(fields: Value) -> Self {
        Self {
            fields,
            document: None,
        }
    }
}

/// What became of a row.
#[derive(Debug)]
pub enum Outcome {
    /// Written, as it is here (after [`Batched::prepare`]).
    Written(Row),
    /// Not written: what the function answered instead.
    Answered(Value),
}

#[derive(Default)]
pub struct GroupCommit {
    lanes: Mutex<HashMap<Lane, Queue>>,
}

#[derive(Clone, Copy)]
struct Lane {
    kind: Batched,
    scope: TenantScope,
}

/// Lanes are told apart by function and caller (a function has one `prepare`).
impl PartialEq for Lane {
    fn eq(&self, other: &Self) -> bool {
        self.kind.function == other.kind.function && self.scope == other.scope
    }
}

impl Eq for Lane {}

impl std::hash::Hash for Lane {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.function.hash(state);
        self.scope.hash(state);
    }
}

#[derive(Default)]
struct Queue {
    rows: Vec<Pending>,
    writers: usize,
}

struct Pending {
    row: Row,
    reply: oneshot::Sender<Result<Outcome>>,
}

impl GroupCommit {
    /// Writes `row` as `kind` in the next batch of its lane, and returns once that batch has
    /// committed.
    pub async fn write(
        self: &Arc<Self>,
        db: &Db,
        kind: Batched,
        scope: TenantScope,
        row: Row,
    ) -> Result<Outcome> {
        let lane = Lane { kind, scope };
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
            let queue = lanes.entry(lane).or_default();
            queue.rows.push(Pending { row, reply });
            let start = queue.writers == 0
                || (queue.writers < WRITERS_PER_LANE && queue.rows.len() >= FILL);
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
            .map_err(|_| anyhow::anyhow!("the batch writer of {} stopped", kind.function))?
    }

    /// The next rows of `lane`, or `None` (and one writer fewer) when none are waiting — or
    /// fewer than [`FILL`] and another writer will take them.
    fn next_batch(&self, lane: &Lane) -> Option<Vec<Pending>> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let queue = lanes.get_mut(lane)?;
        if queue.rows.is_empty() || (queue.writers > 1 && queue.rows.len() < FILL) {
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
    let (mut rows, replies): (Vec<Row>, Vec<_>) =
        batch.into_iter().map(|p| (p.row, p.reply)).unzip();
    // The error, and whether it came from `prepare` (then each row is prepared again).
    let written = match prepare(db, lane, &mut rows).await {
        Ok(()) => run(db, lane, &rows).await.map_err(|e| (e, false)),
        Err(e) => Err((e, true)),
    };
    match written {
        Ok(mut answered) => {
            for (i, (row, reply)) in rows.into_iter().zip(replies).enumerate() {
                let outcome = match answered.remove(&i) {
                    Some(answer) => Outcome::Answered(answer),
                    None => Outcome::Written(row),
                };
                let _ = reply.send(Ok(outcome));
            }
        }
        Err((e, _)) if rows.len() == 1 => {
            let _ = replies.into_iter().next().map(|reply| reply.send(Err(e)));
        }
        Err((e, prepare_again)) => {
            tracing::debug!(error = %e, rows = rows.len(), "a batch failed; writing its rows one by one");
            for (mut row, reply) in rows.into_iter().zip(replies) {
                let outcome = write_alone(db, lane, &mut row, prepare_again)
                    .await
                    .map(|answered| answered.map_or(Outcome::Written(row), Outcome::Answered));
                let _ = reply.send(outcome);
            }
        }
    }
    // After the answers: the callers need not wait for it.
    db.announce_events().await;
}

async fn prepare(db: &Db, lane: &Lane, rows: &mut [Row]) -> Result<()> {
    match lane.kind.prepare {
        Some(prepare) => prepare(db, rows).await,
        None => Ok(()),
    }
}

/// One row in a batch of its own: its answer if the function gave one instead of writing it.
async fn write_alone(
    db: &Db,
    lane: &Lane,
    row: &mut Row,
    prepare_again: bool,
) -> Result<Option<Value>> {
    if prepare_again {
        prepare(db, lane, std::slice::from_mut(row)).await?;
    }
    Ok(run(db, lane, std::slice::from_ref(row)).await?.remove(&0))
}

/// The batch through the lane's function, committed, in one round trip ([`db::scoped_call`]).
/// Its events are announced by the caller ([`Db::announce_events`]).
async fn run(db: &Db, lane: &Lane, rows: &[Row]) -> Result<HashMap<usize, Value>> {
    let [tenant, user, branch] = lane.scope.settings();
    let (fields, documents) = arguments(rows);
    let answered: Vec<(i32, Value)> = sqlx::query_as(&db::scoped_call(lane.kind.function))
        .bind(fields)
        .bind(tenant)
        .bind(user)
        .bind(branch)
        .bind(documents)
        .fetch_all(&db.pool)
        .await?;
    Ok(answered
        .into_iter()
        .filter_map(|(i, v)| Some((usize::try_from(i).ok()?, v)))
        .collect())
}
