//! The one LISTEN connection of a process. It wakes on `sous_events` notifications (and every
//! `POLL` as a backstop, since events of a transaction that committed behind an older, still
//! running one become readable only when that one ends), reads the outbox from its last
//! position and publishes each event to the bus exactly once, in order. When the connection
//! drops it reconnects and catches up from the table, so no subscriber misses an event.
//!
//! It connects as the owner (it reads every tenant's events) and directly to the primary:
//! LISTEN does not work through a transaction-mode pooler.

use std::{sync::Arc, time::Duration};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions},
};
use tokio_util::sync::CancellationToken;

use super::{EventBus, Position, repo};

pub const CHANNEL: &str = crate::db::EVENTS_CHANNEL;
const POLL: Duration = Duration::from_millis(500);
const BATCH: i64 = 1000;

pub struct Listener {
    options: PgConnectOptions,
    pool: PgPool,
    bus: EventBus,
    /// Where delivery starts: every event committed after `new` returns is delivered.
    start: Position,
}

impl Listener {
    pub async fn new(owner: PgConnectOptions, bus: EventBus) -> crate::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(owner.clone().application_name("sous-events-reader"))
            .await?;
        let start = repo::head(&pool).await?;
        Ok(Self {
            options: owner.application_name("sous-events-listener"),
            pool,
            bus,
            start,
        })
    }

    /// Publishes everything after `pos`; returns the new position.
    async fn catch_up(&self, mut pos: Position) -> crate::Result<Position> {
        loop {
            let batch = repo::after(&self.pool, pos, BATCH).await?;
            let full = batch.len() as i64 == BATCH;
            for event in batch {
                pos = event.position();
                self.bus.publish(Arc::new(event));
            }
            if !full {
                return Ok(pos);
            }
        }
    }

    /// Runs until cancelled.
    pub async fn run(self, cancel: CancellationToken) {
        let mut pos = self.start;
        let mut backoff = Duration::from_millis(100);
        while !cancel.is_cancelled() {
            // Cancellation ends a connect or a catch-up under way too: with the database gone
            // or hanging, they would not end by themselves, and shutdown waits for this loop.
            let listened = tokio::select! {
                listened = self.listen(&mut pos, &cancel) => listened,
                _ = cancel.cancelled() => Ok(()),
            };
            match listened {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "event listener lost its connection");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// One connection's life: LISTEN, catch up, then read on every wake-up. Returns `Ok` when
    /// cancelled and `Err` when the connection fails in a way sqlx does not recover from.
    async fn listen(&self, pos: &mut Position, cancel: &CancellationToken) -> crate::Result<()> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(self.options.clone());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        // Notifications are read by a task of their own, so the wait below can be cut short by
        // the poll timer without cancelling a half-read message.
        let (wake_tx, mut wake_rx) = tokio::sync::mpsc::channel::<crate::Result<()>>(1);
        let reader = tokio::spawn(async move {
            loop {
                let woke = match listener.try_recv().await {
                    // `None`: the connection dropped and sqlx has reconnected and re-listened;
                    // notifications in between are lost, so wake up to catch up from the table.
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.into()),
                };
                let failed = woke.is_err();
                // A full channel already holds a wake-up, which is enough.
                if let Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) =
                    wake_tx.try_send(woke)
                {
                    return;
                }
                if failed {
                    return;
                }
            }
        });
        let _abort = AbortOnDrop(reader);
        // Anything committed while we were not listening.
        *pos = self.catch_up(*pos).await?;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                woke = wake_rx.recv() => match woke {
                    Some(Ok(())) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Err(sqlx::Error::PoolClosed.into()),
                },
                _ = tokio::time::sleep(POLL) => {}
            }
            *pos = self.catch_up(*pos).await?;
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
