//! Whether a signed token still stands: its membership active, its device not revoked, and the
//! token issued after the membership's sessions were last ended. A JWT alone would stay good
//! until it expires; this check ends a disabled member's or a revoked device's sessions at once.
//!
//! Every authenticated request asks, so answers are cached per process for [`TTL`]: the
//! instance that makes a change forgets its cached answers at once ([`Sessions::forget`]),
//! other instances see it within `TTL`.

use std::time::{Duration, Instant};

use dashmap::DashMap;
use uuid::Uuid;

use super::{Claims, PrincipalKind, Role};
use crate::{
    db::{Db, TenantScope},
    error::{Error, Result},
};

/// How long an answer is reused.
pub const TTL: Duration = Duration::from_secs(5);

type Key = (Uuid, Uuid, Role, Option<Uuid>);

#[derive(Clone, Copy)]
struct Standing {
    at: Instant,
    active: bool,
    valid_after: i64,
}

#[derive(Default)]
pub struct Sessions {
    cache: DashMap<Key, Standing>,
}

impl Sessions {
    /// `Ok` while the token's principal stands; 401 `session_revoked` otherwise. Guests have
    /// no membership (their session row is checked on refresh).
    pub async fn check(&self, db: &Db, c: &Claims) -> Result<()> {
        if c.kind == PrincipalKind::Guest {
            return Ok(());
        }
        let key = (c.tid, c.sub, c.role, c.did);
        let standing = match self.cache.get(&key).map(|s| *s) {
            Some(s) if s.at.elapsed() < TTL => s,
            _ => {
                let s = Self::load(db, &key).await?;
                if self.cache.len() > 100_000 {
                    self.cache.retain(|_, v| v.at.elapsed() < TTL);
                }
                self.cache.insert(key, s);
                s
            }
        };
        if standing.active && c.iat > standing.valid_after {
            Ok(())
        } else {
            Err(Error::Unauthorized("session_revoked"))
        }
    }

    async fn load(db: &Db, &(tenant, user, role, device): &Key) -> Result<Standing> {
        let mut tx = db.begin(TenantScope::tenant(tenant)).await?;
        let (active, valid_after): (bool, i64) =
            sqlx::query_as("select * from auth_session_standing($1, $2, $3)")
                .bind(user)
                .bind(role)
                .bind(device)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Standing {
            at: Instant::now(),
            active,
            valid_after,
        })
    }

    /// Forgets cached answers about `user` (or, with `None`, every answer): called by whoever
    /// changed a membership or revoked a device.
    pub fn forget(&self, user: Option<Uuid>) {
        match user {
            Some(u) => self.cache.retain(|k, _| k.1 != u),
            None => self.cache.clear(),
        }
    }
}
