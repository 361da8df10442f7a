//! The time a shutdown may take (`shutdown_timeout`), counted from the signal. The process's
//! own parts (HTTP connections, event listener, task worker, scheduler, pools) get the first
//! part of it; the embedded PostgreSQL gets the rest, so that its fast shutdown has time even
//! when something else had to be abandoned. A part that is not done in time is dropped, and the
//! log says so: with the database gone or hanging, nothing would ever finish it.

use std::{future::Future, time::Duration};

use tokio::time::Instant;

/// What the embedded server keeps of the limit: a third, at most this.
const SERVER_SHARE_MAX: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    /// The whole shutdown is over by then.
    pub at: Instant,
    /// The process's own parts are done (or abandoned) by then.
    parts: Instant,
}

impl Deadline {
    pub fn starting_now(limit: Duration) -> Self {
        let now = Instant::now();
        let server = (limit / 3).min(SERVER_SHARE_MAX);
        Self {
            at: now + limit,
            parts: now + limit - server,
        }
    }

    /// Time left for the embedded server (and everything after the process's parts).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Waits for `part` until the process's share of the time is up; then gives up on it,
    /// logs `abandoned` and returns `None`.
    pub async fn bounded<F: Future>(&self, abandoned: &str, part: F) -> Option<F::Output> {
        match tokio::time::timeout_at(self.parts, part).await {
            Ok(out) => Some(out),
            Err(_) => {
                tracing::warn!("shutdown: {abandoned}: abandoned");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_part_that_never_ends_is_abandoned_leaving_the_server_its_share() {
        let deadline = Deadline::starting_now(Duration::from_millis(300));
        let started = Instant::now();
        let out = deadline
            .bounded("a hung part", std::future::pending::<()>())
            .await;
        assert!(out.is_none());
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(200) && waited < Duration::from_millis(290));
        let left = deadline.remaining();
        assert!(left > Duration::ZERO && left <= Duration::from_millis(100));
        let quick = deadline.bounded("a quick part", async { 7 }).await;
        assert_eq!(quick, Some(7), "a part already done is not abandoned");
    }

    #[test]
    fn the_server_keeps_a_third_of_the_bound_at_most_ten_seconds() {
        let short = Deadline::starting_now(Duration::from_secs(6));
        assert_eq!(short.at - short.parts, Duration::from_secs(2));
        let long = Deadline::starting_now(Duration::from_secs(60));
        assert_eq!(long.at - long.parts, Duration::from_secs(10));
    }
}
