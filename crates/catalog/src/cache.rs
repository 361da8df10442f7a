//! The menu cache, in two layers: the UNLOGGED `menu_cache` table shared by every instance, and
//! each instance's memory in front of it ([`platform::public_cache`]).
//!
//! A catalog change bumps the brand's catalog version and queues a rebuild per affected branch
//! (de-duplicated), and its event drops the brand's menus from every instance's memory. A read
//! takes, in order: memory; the table row if built from the current version and no day-part
//! boundary has passed; else it builds the menu itself and stores it — which also covers a
//! table emptied by a crash, and a rebuild task that was still running when the change came.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use bytes::Bytes;
use chrono::Utc;
use platform::{
    AppState,
    db::{self, TenantScope, Tx},
    error::{Error, Result},
    public_cache::Cached,
    queue::TaskCtx,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{assemble, menu::BranchMenu, repo};

/// A served menu: the JSON body and its ETag.
pub type ServedMenu = Arc<Cached>;

/// The queue task that rebuilds one branch's menu.
pub const REBUILD_TASK: &str = "catalog.rebuild_menu";

/// The branch's menu as guests see it now. Unknown or archived branch → 404.
pub async fn menu(state: &AppState, branch_id: Uuid) -> Result<ServedMenu> {
    if let Some(hit) = state.public_cache.get(branch_id) {
        return Ok(hit);
    }
    let generation = state.public_cache.generation();
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = repo::branch_tenant(&mut tx, branch_id)
        .await?
        .ok_or(Error::NotFound)?;
    db::set_scope(&mut tx, TenantScope::tenant(tenant_id)).await?;
    let served = match repo::fresh_menu(&mut tx, branch_id).await? {
        // Unchanged since this instance last held it: keep that entry, with what readers
        // decoded from it, instead of decoding the same menu again.
        Some(row) => match state.public_cache.get_stale(branch_id) {
            Some(kept)
                if kept.tenant_id == tenant_id
                    && kept.etag == quoted(&row.etag)
                    && kept.valid_until == row.valid_until =>
            {
                kept
            }
            _ => Arc::new(Cached::new(
                tenant_id,
                quoted(&row.etag),
                Bytes::from(row.body),
                row.valid_until,
            )),
        },
        None => rebuild(&mut tx, tenant_id, branch_id).await?,
    };
    tx.commit().await?;
    state
        .public_cache
        .put(branch_id, generation, served.clone());
    Ok(served)
}

/// How many times this process decoded a branch's menu from its JSON.
static DECODES: AtomicU64 = AtomicU64::new(0);

/// How many times this process decoded a branch's menu from its JSON: once per cached menu
/// content, however many orders and price checks read it.
pub fn decodes() -> u64 {
    DECODES.load(Ordering::Relaxed)
}

fn decode(body: &[u8]) -> serde_json::Result<BranchMenu> {
    DECODES.fetch_add(1, Ordering::Relaxed);
    serde_json::from_slice(body)
}

/// The branch's menu decoded, from the same cache as [`menu`]: decoded once per cached entry,
/// with the entry itself (to keep what a reader derives from the same moment,
/// [`Cached::attach`]).
pub async fn parsed_menu(
    state: &AppState,
    branch_id: Uuid,
) -> Result<(Arc<BranchMenu>, ServedMenu)> {
    let served = menu(state, branch_id).await?;
    let decoded = served.decoded(decode).map_err(anyhow::Error::from)?;
    Ok((decoded, served))
}

/// The branch's menu as checkout reads it ([`parsed_menu`]). `NotFound` for a branch of
/// another tenant than `tenant_id`.
pub async fn branch_menu(
    state: &AppState,
    tenant_id: Uuid,
    branch_id: Uuid,
) -> Result<(Arc<BranchMenu>, ServedMenu)> {
    let (decoded, served) = parsed_menu(state, branch_id).await?;
    if served.tenant_id != tenant_id {
        return Err(Error::NotFound);
    }
    Ok((decoded, served))
}

/// Builds the branch's menu from the catalog and stores it in `menu_cache`.
pub async fn rebuild(tx: &mut Tx, tenant_id: Uuid, branch_id: Uuid) -> Result<ServedMenu> {
    // Read before the catalog: a change committed in between makes this build look older than
    // it is (and be rebuilt), never newer.
    let version = repo::version(tx, tenant_id).await?;
    let built = assemble::branch_menu(tx, branch_id, Utc::now()).await?;
    let body = serde_json::to_string(&built.menu).map_err(anyhow::Error::from)?;
    let etag = etag_of(body.as_bytes());
    let item_ids = built.menu.orderable_item_ids();
    repo::store_menu(
        tx,
        &repo::MenuWrite {
            branch_id,
            tenant_id,
            version,
            etag: &etag,
            body: &body,
            item_ids: &item_ids,
            valid_until: built.valid_until,
        },
    )
    .await?;
    Ok(Arc::new(Cached::new(
        tenant_id,
        quoted(&etag),
        Bytes::from(body),
        built.valid_until,
    )))
}

/// A strong validator: the same bytes give the same tag on every instance, and any change to
/// the content changes it.
fn etag_of(body: &[u8]) -> String {
    hex::encode(&Sha256::digest(body)[..16])
}

fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RebuildPayload {
    pub branch_id: Uuid,
}

/// The rebuild task's handler. A branch archived since is nothing to do.
pub async fn rebuild_task(ctx: TaskCtx, payload: RebuildPayload) -> anyhow::Result<()> {
    let tenant_id = ctx.tenant_id.ok_or_else(|| {
        platform::queue::permanent(anyhow::anyhow!("a menu rebuild needs a tenant"))
    })?;
    let mut tx = ctx.begin().await?;
    match rebuild(&mut tx, tenant_id, payload.branch_id).await {
        Ok(_) | Err(Error::NotFound) => {}
        Err(e) => return Err(anyhow::Error::from(e)),
    }
    tx.commit().await?;
    Ok(())
}
