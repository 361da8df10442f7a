//! The branch a request acts on, checked once for every route that takes a branch id: the
//! branch must belong to the caller's brand (another brand's branch is answered exactly like an
//! unknown id, 404) and, for staff, lie in their branch scope (403).

use std::{collections::HashMap, sync::RwLock};

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};
use uuid::Uuid;

use super::{Auth, Policy, Principal, PrincipalKind};
use crate::{
    db::{Db, TenantScope},
    error::Error,
};

/// Which brand each branch belongs to, as far as requests have needed to know. A branch never
/// moves to another brand and is never deleted (only archived), so an entry never goes stale;
/// unknown ids are not remembered, so guessing ids fills nothing.
#[derive(Default)]
pub struct BranchDirectory {
    known: RwLock<HashMap<Uuid, Uuid>>,
}

/// Entries kept before the map is emptied and refilled on demand.
const MAX_KNOWN: usize = 100_000;

impl BranchDirectory {
    /// Ok when `branch_id` is a branch (archived ones included) of `tenant_id`; 404 otherwise.
    pub async fn require_in_tenant(
        &self,
        db: &Db,
        tenant_id: Uuid,
        branch_id: Uuid,
    ) -> Result<(), Error> {
        let cached = self.known.read().expect("lock").get(&branch_id).copied();
        let owner = match cached {
            Some(owner) => Some(owner),
            // Read in the caller's own tenant scope, so RLS hides every other brand's rows.
            None => {
                let mut tx = db.begin(TenantScope::tenant(tenant_id)).await?;
                let found: Option<Uuid> =
                    sqlx::query_scalar("select tenant_id from branches where id = $1")
                        .bind(branch_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                tx.commit().await?;
                if let Some(owner) = found {
                    let mut known = self.known.write().expect("lock");
                    if known.len() >= MAX_KNOWN {
                        known.clear();
                    }
                    known.insert(branch_id, owner);
                }
                found
            }
        };
        if owner == Some(tenant_id) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The whole check for `p` acting on `branch_id`: the brand's (404), then the staff
    /// member's branch scope (403). Customers and guests are checked against the brand only;
    /// what they may do at a branch is the route's policy.
    pub async fn require(&self, db: &Db, p: &Principal, branch_id: Uuid) -> Result<(), Error> {
        self.require_in_tenant(db, p.tenant_id, branch_id).await?;
        if p.kind == PrincipalKind::Staff {
            p.require_branch(branch_id)?;
        }
        Ok(())
    }
}

/// [`Auth`] for a route that takes a branch id, in its path (`branch_id` or `branchId`) or
/// else in its query (`branchId`): the principal is admitted by `P`, and the branch is checked
/// with [`BranchDirectory::require`]. `branch_id` is `None` only for a route whose query
/// leaves the branch out.
pub struct BranchAuth<P: Policy> {
    pub auth: Auth<P>,
    pub branch_id: Option<Uuid>,
}

impl<P: Policy> std::ops::Deref for BranchAuth<P> {
    type Target = Auth<P>;
    fn deref(&self) -> &Auth<P> {
        &self.auth
    }
}

/// The branch id a request names: its path's `branch_id`/`branchId`, else its query's
/// `branchId`. A value that is not a UUID is a 400, as the route's own extractors answer.
pub async fn requested_branch(parts: &mut Parts) -> Result<Option<Uuid>, Error> {
    let parse = |v: &str, what: &'static str| {
        v.parse::<Uuid>()
            .map_err(|_| Error::bad_request(what, format!("branch id {v:?} is not a UUID")))
    };
    if let Ok(params) = RawPathParams::from_request_parts(parts, &()).await
        && let Some((_, v)) = params
            .iter()
            .find(|(k, _)| *k == "branch_id" || *k == "branchId")
    {
        return parse(v, "invalid_path").map(Some);
    }
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    for (k, v) in pairs {
        if k == "branchId" && !v.is_empty() {
            return parse(&v, "invalid_query").map(Some);
        }
    }
    Ok(None)
}
