//! Public, regenerable responses kept in process memory (a branch's menu): served without a
//! database round trip, and dropped as soon as a catalog event of their tenant arrives, from
//! this or any other instance (every instance listens to the events).
//!
//! A response read before a change but stored after the change's event would be stale until
//! the next event; a generation counter, bumped by every invalidation, makes such a late
//! `put` a no-op.
//!
//! Events can also arrive late: the listener hands out an event only once every older
//! transaction in the cluster has finished (so it never skips one), and a long transaction
//! anywhere holds them back. So an entry is also served for at most [`MAX_AGE`]; after that the
//! next read asks the database, which knows the catalog version exactly. That read is one
//! indexed row per branch and instance every half second, nothing under load.

use std::{
    any::Any,
    collections::HashMap,
    sync::{
        Arc, OnceLock, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::events::{Channel, EventBus};

/// One cached response body and what the cache needs to know about it.
#[derive(Debug)]
pub struct Cached {
    pub tenant_id: Uuid,
    /// A strong validator, quoted (`"…"`), as it goes into the `ETag` header.
    pub etag: String,
    pub body: Bytes,
    /// After this instant the content is out of date by itself (a day-part boundary).
    pub valid_until: DateTime<Utc>,
    /// The body decoded, for readers inside the process (checkout prices every order from
    /// the menu): decoded once per entry instead of once per request.
    decoded: OnceLock<Arc<dyn Any + Send + Sync>>,
    /// What another reader derives from the entry's moment and keeps as long as the entry is
    /// served (checkout keeps the branch's service charge here: as fresh as the prices).
    attached: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl Cached {
    pub fn new(tenant_id: Uuid, etag: String, body: Bytes, valid_until: DateTime<Utc>) -> Self {
        Self {
            tenant_id,
            etag,
            body,
            valid_until,
            decoded: OnceLock::new(),
            attached: OnceLock::new(),
        }
    }

    /// What [`Self::attach`] kept with this entry, if it is a `T`.
    pub fn attached<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.attached.get()?.clone().downcast::<T>().ok()
    }

    /// Keeps `value` with this entry; the first value attached stays (two readers that raced
    /// read the same thing).
    pub fn attach<T: Any + Send + Sync>(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let _ = self.attached.set(value.clone());
        self.attached().unwrap_or(value)
    }

    /// The body as a `T`, decoded by `decode` on first use and kept with the entry.
    pub fn decoded<T, E>(&self, decode: impl FnOnce(&[u8]) -> Result<T, E>) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        if let Some(Ok(hit)) = self.decoded.get().map(|d| d.clone().downcast::<T>()) {
            return Ok(hit);
        }
        let value = Arc::new(decode(&self.body)?);
        // A concurrent first use may have stored its own copy; either is the same body.
        let _ = self.decoded.set(value.clone());
        Ok(value)
    }
}

/// How long an entry is served without asking the database again.
pub const MAX_AGE: Duration = Duration::from_millis(500);

/// An entry and when it was stored.
type Stored = (Instant, Arc<Cached>);

pub struct PublicCache {
    entries: RwLock<HashMap<Uuid, Stored>>,
    generation: AtomicU64,
}

impl Default for PublicCache {
    fn default() -> Self {
        Self {
            entries: RwLock::default(),
            generation: AtomicU64::new(0),
        }
    }
}

impl PublicCache {
    /// The entry for `key`, if present, younger than [`MAX_AGE`] and still valid.
    pub fn get(&self, key: Uuid) -> Option<Arc<Cached>> {
        let (stored, entry) = self
            .entries
            .read()
            .expect("cache lock")
            .get(&key)
            .cloned()?;
        (stored.elapsed() < MAX_AGE && entry.valid_until > Utc::now()).then_some(entry)
    }

    /// The entry for `key` whatever its age (not dropped by an invalidation): what a reader
    /// that just asked the database compares with, to keep the entry — and what was decoded
    /// from it — when the content did not change.
    pub fn get_stale(&self, key: Uuid) -> Option<Arc<Cached>> {
        let entries = self.entries.read().expect("cache lock");
        entries.get(&key).map(|(_, entry)| entry.clone())
    }

    /// The generation to pass to [`Self::put`]: take it before reading from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores `entry` unless an invalidation happened since `generation` was taken.
    pub fn put(&self, key: Uuid, generation: u64, entry: Arc<Cached>) {
        let mut entries = self.entries.write().expect("cache lock");
        // Checked under the write lock, which invalidations also take.
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(key, (Instant::now(), entry));
        }
    }

    pub fn invalidate_tenant(&self, tenant_id: Uuid) {
        let mut entries = self.entries.write().expect("cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, (_, e)| e.tenant_id != tenant_id);
    }

    pub fn clear(&self) {
        let mut entries = self.entries.write().expect("cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Drops a tenant's entries whenever one of its catalog events arrives, until `shutdown`.
    /// A lagging receiver may have missed events, so it clears everything.
    pub async fn follow(self: Arc<Self>, bus: EventBus, shutdown: CancellationToken) {
        let mut rx = bus.subscribe();
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return,
                r = rx.recv() => r,
            };
            match received {
                Ok(event) if event.channel == Channel::Catalog => {
                    self.invalidate_tenant(event.tenant_id)
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => self.clear(),
                Err(RecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tenant_id: Uuid) -> Arc<Cached> {
        Arc::new(Cached::new(
            tenant_id,
            "\"x\"".into(),
            Bytes::from_static(b"{}"),
            Utc::now() + chrono::Duration::minutes(5),
        ))
    }

    #[test]
    fn a_put_after_an_invalidation_is_dropped() {
        let cache = PublicCache::default();
        let (tenant, key) = (Uuid::now_v7(), Uuid::now_v7());
        let generation = cache.generation();
        cache.invalidate_tenant(tenant);
        cache.put(key, generation, entry(tenant));
        assert!(cache.get(key).is_none());
        cache.put(key, cache.generation(), entry(tenant));
        assert!(cache.get(key).is_some());
    }

    #[test]
    fn invalidation_drops_only_that_tenant() {
        let cache = PublicCache::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (ka, kb) = (Uuid::now_v7(), Uuid::now_v7());
        cache.put(ka, cache.generation(), entry(a));
        cache.put(kb, cache.generation(), entry(b));
        cache.invalidate_tenant(a);
        assert!(cache.get(ka).is_none());
        assert!(cache.get(kb).is_some());
    }

    #[test]
    fn an_entry_is_served_for_at_most_max_age() {
        let cache = PublicCache::default();
        let key = Uuid::now_v7();
        cache.put(key, cache.generation(), entry(Uuid::now_v7()));
        assert!(cache.get(key).is_some());
        std::thread::sleep(MAX_AGE + Duration::from_millis(20));
        assert!(
            cache.get(key).is_none(),
            "old entries go back to the database"
        );
    }

    #[test]
    fn the_body_is_decoded_once_per_entry() {
        let e = entry(Uuid::now_v7());
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let decode = |b: &[u8]| {
            calls.fetch_add(1, Ordering::Relaxed);
            serde_json::from_slice::<serde_json::Value>(b)
        };
        let first = e.decoded(decode).unwrap();
        let second = e.decoded(decode).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        // Another type is decoded on its own, not mistaken for the stored one.
        let other: Arc<std::collections::BTreeMap<String, i32>> =
            e.decoded(|b| serde_json::from_slice(b)).unwrap();
        assert!(other.is_empty());
        let bad = e.decoded(|_| Err::<(), _>("broken"));
        assert_eq!(bad.unwrap_err(), "broken");
    }

    #[test]
    fn an_expired_entry_is_not_served() {
        let cache = PublicCache::default();
        let key = Uuid::now_v7();
        cache.put(
            key,
            cache.generation(),
            Arc::new(Cached::new(
                Uuid::now_v7(),
                "\"x\"".into(),
                Bytes::new(),
                Utc::now() - chrono::Duration::seconds(1),
            )),
        );
        assert!(cache.get(key).is_none());
    }
}
