//! argon2id hashing for passwords and PINs, run off the async threads (it is deliberately slow),
//! and the keyed look-up hash that finds a PIN's owner without trying every hash.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::{sync::Arc, time::Duration};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Error;

fn hash_now(secret: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(anyhow::anyhow!("argon2: {e}")))
}

fn verify_now(secret: &str, hash: &str) -> Result<bool, Error> {
    let parsed =
        PasswordHash::new(hash).map_err(|e| Error::Internal(anyhow::anyhow!("argon2: {e}")))?;
    Ok(Argon2::default()
        .verify_password(secret.as_bytes(), &parsed)
        .is_ok())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(e.into()))?
}

/// Hashes without waiting for a slot: for offline work (the demo seed, the CLI). Requests go
/// through [`Hashing`].
pub async fn hash(secret: String) -> Result<String, Error> {
    blocking(move || hash_now(&secret)).await
}

/// Verifies without waiting for a slot (see [`hash`]).
pub async fn verify(secret: String, hash: String) -> Result<bool, Error> {
    blocking(move || verify_now(&secret, &hash)).await
}

/// The cap on argon2 work done for requests. Each hash takes ~19 MiB and a core for tens of
/// milliseconds, so unauthenticated callers must not be able to start as many as they like:
/// at most `max` run at once, a request waits at most `wait` for a slot and is answered 503
/// with `Retry-After` beyond it. The slot is held by the blocking task itself, so a client
/// that hangs up does not free it while the hash still runs.
pub struct Hashing {
    slots: Arc<Semaphore>,
    wait: Duration,
    /// Password checks run so far: what a login costs is the number of checks it runs, and
    /// sign-in paths that must cost the same are compared by it.
    verifications: Arc<std::sync::atomic::AtomicU64>,
}

impl Hashing {
    /// `max` 0 means one slot per CPU.
    pub fn new(max: usize, wait: Duration) -> Self {
        let max = if max == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            max
        };
        Self {
            slots: Arc::new(Semaphore::new(max)),
            wait,
            verifications: Arc::default(),
        }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, Error> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(Error::Busy {
                retry_after_secs: self.wait.as_secs().max(1),
            }),
        }
    }

    pub async fn hash(&self, secret: String) -> Result<String, Error> {
        let slot = self.slot().await?;
        blocking(move || {
            let _slot = slot;
            hash_now(&secret)
        })
        .await
    }

    pub async fn verify(&self, secret: String, hash: String) -> Result<bool, Error> {
        let slot = self.slot().await?;
        self.verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        blocking(move || {
            let _slot = slot;
            verify_now(&secret, &hash)
        })
        .await
    }

    /// How many password checks have run.
    pub fn verifications(&self) -> u64 {
        self.verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A hash to compare against when the user does not exist, so a login for an unknown email
/// costs as much time as one with a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c291cy1kdW1teS1zYWx0$TA6zS4Kn2oWk5fwJ8g5nSSPG1xB3V0n3lVg2h3Gk3KM";

/// `HMAC-SHA256(pepper, tenant ‖ pin)`: unique per tenant, so a PIN identifies one staff member
/// with a single indexed look-up; the argon2 hash is still what proves it.
pub fn pin_lookup(pepper: &[u8], tenant_id: uuid::Uuid, pin: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(pepper).expect("any key length");
    mac.update(tenant_id.as_bytes());
    mac.update(pin.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// SHA-256 of an opaque token (refresh tokens are stored only as this hash).
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("sous-demo-2026".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("sous-demo-2026".into(), h.clone()).await.unwrap());
        assert!(!verify("wrong".into(), h).await.unwrap());
        assert!(!verify("x".into(), DUMMY_HASH.into()).await.unwrap());
    }

    #[tokio::test]
    async fn hashing_beyond_the_cap_is_busy() {
        let gate = Hashing::new(1, Duration::from_millis(1));
        let held = gate.slot().await.unwrap();
        assert!(matches!(
            gate.verify("x".into(), DUMMY_HASH.into()).await,
            Err(Error::Busy { .. })
        ));
        drop(held);
        assert!(!gate.verify("x".into(), DUMMY_HASH.into()).await.unwrap());
    }

    #[test]
    fn pin_lookup_depends_on_tenant() {
        let a = uuid::Uuid::now_v7();
        let b = uuid::Uuid::now_v7();
        assert_ne!(pin_lookup(b"p", a, "1111"), pin_lookup(b"p", b, "1111"));
        assert_eq!(pin_lookup(b"p", a, "1111"), pin_lookup(b"p", a, "1111"));
    }
}
