//! The fan-out's clients: one task and one connection each, opened a bounded number at a time,
//! each counting the events it receives.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch},
    task::JoinHandle,
};

use super::{
    FanoutConfig,
    stream::{SseStream, bench_seq},
};

/// What every client task shares.
pub(super) struct Shared {
    pub(super) addr: SocketAddr,
    pub(super) path: String,
    pub(super) authorization: String,
    pub(super) events: u64,
    pub(super) open_timeout: Duration,
    /// Distinct (client, event) pairs received so far, to stop waiting once all have arrived.
    pub(super) delivered: AtomicU64,
}

/// The client tasks; any still running when this is dropped are aborted (closing their
/// connections), so an error anywhere leaves no stream open.
pub(super) struct Tasks(pub(super) Vec<JoinHandle<ClientOutcome>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

pub(super) struct Opened {
    pub(super) tasks: Tasks,
    pub(super) connected: usize,
    pub(super) first_error: Option<String>,
    pub(super) took: Duration,
}

/// Spawns the clients, at most `open_concurrency` opening at a time, and waits until each has
/// received its greeting or failed, or the phase's deadline passes.
pub(super) async fn open_clients(
    shared: &Arc<Shared>,
    cfg: &FanoutConfig,
    stop: &watch::Receiver<bool>,
) -> Opened {
    let began = Instant::now();
    let deadline = tokio::time::Instant::from_std(began + cfg.open_phase);
    let gate = Arc::new(Semaphore::new(cfg.open_concurrency.max(1)));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let mut tasks = Tasks(Vec::with_capacity(cfg.clients));
    let mut first_error = None;
    for _ in 0..cfg.clients {
        let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, gate.clone().acquire_owned()).await
        else {
            first_error = Some(format!(
                "opening {} clients took longer than {:?}",
                cfg.clients, cfg.open_phase
            ));
            break;
        };
        tasks.0.push(tokio::spawn(client(
            shared.clone(),
            permit,
            ready_tx.clone(),
            stop.clone(),
        )));
    }
    drop(ready_tx);
    let spawned = tasks.0.len();
    let (mut connected, mut failed) = (0, 0);
    while connected + failed < spawned {
        match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => connected += 1,
            Ok(Some(Err(e))) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            Ok(None) => break,
            Err(_) => {
                first_error.get_or_insert_with(|| {
                    format!(
                        "opening {} clients took longer than {:?}",
                        cfg.clients, cfg.open_phase
                    )
                });
                break;
            }
        }
    }
    Opened {
        tasks,
        connected,
        first_error,
        took: began.elapsed(),
    }
}

/// What one client saw.
pub(super) struct ClientOutcome {
    pub(super) opened: bool,
    /// When each event (by `seq`) arrived.
    pub(super) received: Vec<Option<Instant>>,
    pub(super) duplicates: u64,
    /// Why the client failed to open, or why its stream ended before it was closed.
    pub(super) error: Option<String>,
}

impl ClientOutcome {
    pub(super) fn failed(events: u64, error: String) -> Self {
        Self {
            opened: false,
            received: vec![None; events as usize],
            duplicates: 0,
            error: Some(error),
        }
    }
}

/// One SSE client: opens its stream (holding a slot of the opening gate), reports in, then
/// records the arrival time of every event until told to stop or the stream ends.
pub(super) async fn client(
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
    ready: mpsc::UnboundedSender<Result<(), String>>,
    mut stop: watch::Receiver<bool>,
) -> ClientOutcome {
    let mut outcome = ClientOutcome::failed(shared.events, String::new());
    let opened = tokio::time::timeout(
        shared.open_timeout,
        SseStream::open(shared.addr, &shared.path, &shared.authorization),
    )
    .await;
    drop(permit);
    let mut stream = match opened {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let message = format!("{e:#}");
            let _ = ready.send(Err(message.clone()));
            outcome.error = Some(message);
            return outcome;
        }
        Err(_) => {
            let message = format!(
                "opening the stream timed out after {:?}",
                shared.open_timeout
            );
            let _ = ready.send(Err(message.clone()));
            outcome.error = Some(message);
            return outcome;
        }
    };
    outcome.opened = true;
    outcome.error = None;
    let _ = ready.send(Ok(()));
    let mut messages = Vec::new();
    loop {
        tokio::select! {
            chunk = stream.next_chunk() => {
                let at = Instant::now();
                match chunk {
                    Ok(Some(bytes)) => {
                        stream.parser.push(&bytes, &mut messages);
                        for message in messages.drain(..) {
                            let Some(seq) = message.data.as_deref().and_then(bench_seq) else {
                                continue;
                            };
                            match outcome.received.get_mut(seq as usize) {
                                Some(slot @ None) => {
                                    *slot = Some(at);
                                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                                }
                                Some(Some(_)) => outcome.duplicates += 1,
                                None => {}
                            }
                        }
                    }
                    Ok(None) => {
                        outcome.error = Some("the server ended the stream".into());
                        break;
                    }
                    Err(e) => {
                        outcome.error = Some(format!("stream failed: {e:#}"));
                        break;
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
    // Dropping the stream closes the connection.
    outcome
}
