//! The database check behind `GET /api/health`, cached for a second: one request probes, the
//! others read the last result, so a hard-polled health endpoint costs the database nothing.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use sqlx::PgPool;
use tokio::sync::Mutex;

const MAX_AGE: Duration = Duration::from_secs(1);

pub struct HealthProbe {
    started: Instant,
    /// Milliseconds since `started` of the last probe; `u64::MAX` before the first.
    checked_at_ms: AtomicU64,
    ok: AtomicBool,
    probing: Mutex<()>,
}

impl Default for HealthProbe {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            checked_at_ms: AtomicU64::new(u64::MAX),
            ok: AtomicBool::new(false),
            probing: Mutex::new(()),
        }
    }
}

impl HealthProbe {
    fn fresh(&self) -> bool {
        let at = self.checked_at_ms.load(Ordering::Acquire);
        at != u64::MAX
            && self.started.elapsed().as_millis() as u64 - at < MAX_AGE.as_millis() as u64
    }

    pub async fn database_ok(&self, pool: &PgPool) -> bool {
        if self.fresh() {
            return self.ok.load(Ordering::Acquire);
        }
        let _guard = self.probing.lock().await;
        // Another request may have probed while this one waited.
        if !self.fresh() {
            let ok = tokio::time::timeout(
                Duration::from_secs(2),
                sqlx::query("select 1").execute(pool),
            )
            .await
            .is_ok_and(|r| r.is_ok());
            self.ok.store(ok, Ordering::Release);
            self.checked_at_ms
                .store(self.started.elapsed().as_millis() as u64, Ordering::Release);
        }
        self.ok.load(Ordering::Acquire)
    }
}
