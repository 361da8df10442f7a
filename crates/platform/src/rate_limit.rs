//! In-process rate limits (GCRA, via `governor`) for the endpoints that guess secrets: login,
//! refresh, PIN and sign-up. Keys combine the client address with what is being guessed.
//! Limits are per process; the durable defence for PINs is the lockout kept in the database.
//! Password hashing on request is capped too ([`crate::auth::password::Hashing`]): a rate limit
//! per key cannot stop many keys at once.

use std::{collections::HashMap, num::NonZeroU32, sync::Mutex};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::password::Hashing, error::Error};

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct RateLimitSettings {
    /// Per client address and email.
    pub login_per_minute: u32,
    /// Per client address, whatever the email: random emails do not make new buckets.
    pub login_per_ip_per_minute: u32,
    pub refresh_per_minute: u32,
    pub pin_per_minute: u32,
    pub signup_per_minute: u32,
    /// argon2 hashes run at once for requests (0: one per CPU).
    pub max_concurrent_hashes: usize,
    /// How long a request waits for a hashing slot before it is answered 503.
    pub hash_wait_ms: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            login_per_minute: 10,
            login_per_ip_per_minute: 30,
            // A page recovers its session with a refresh on every load (the access token is
            // kept in memory only), so browsers refresh far more often than other clients.
            refresh_per_minute: 120,
            pin_per_minute: 10,
            signup_per_minute: 5,
            max_concurrent_hashes: 0,
            hash_wait_ms: 2_000,
        }
    }
}

pub struct Limiter {
    inner: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
}

impl Limiter {
    pub fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n.max(1)).expect("non-zero");
        Self {
            inner: RateLimiter::keyed(Quota::per_minute(n).allow_burst(n)),
        }
    }

    /// Counts one attempt for `key`; over the limit → 429 with the seconds until the next slot.
    pub fn check(&self, key: &str) -> Result<(), Error> {
        if self.inner.len() > 50_000 {
            self.inner.retain_recent();
        }
        self.inner.check_key(&key.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

pub struct RateLimits {
    pub login: Limiter,
    pub login_ip: Limiter,
    pub refresh: Limiter,
    pub pin: Limiter,
    pub signup: Limiter,
    pub hashing: Hashing,
}

impl RateLimits {
    pub fn new(s: RateLimitSettings) -> Self {
        Self {
            login: Limiter::per_minute(s.login_per_minute),
            login_ip: Limiter::per_minute(s.login_per_ip_per_minute),
            refresh: Limiter::per_minute(s.refresh_per_minute),
            pin: Limiter::per_minute(s.pin_per_minute),
            signup: Limiter::per_minute(s.signup_per_minute),
            hashing: Hashing::new(
                s.max_concurrent_hashes,
                std::time::Duration::from_millis(s.hash_wait_ms),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_with_retry_after() {
        let l = Limiter::per_minute(2);
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        match l.check("a") {
            Err(Error::TooManyRequests { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(l.check("b").is_ok(), "other keys are not affected");
    }
}

/// Event streams open per principal, held against `sse_streams_per_principal`.
#[derive(Default)]
pub struct OpenStreams(Mutex<HashMap<Uuid, usize>>);

impl OpenStreams {
    /// Counts one more stream of `principal`; false, counting nothing, when it holds `limit`.
    pub fn open(&self, principal: Uuid, limit: usize) -> bool {
        let mut open = self.0.lock().expect("lock");
        let count = open.entry(principal).or_default();
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }

    /// Counts one stream of `principal` less.
    pub fn close(&self, principal: Uuid) {
        let mut open = self.0.lock().expect("lock");
        if let Some(count) = open.get_mut(&principal) {
            *count -= 1;
            if *count == 0 {
                open.remove(&principal);
            }
        }
    }
}
