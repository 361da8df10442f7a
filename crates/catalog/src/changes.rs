//! What every catalog change does besides itself, in the same transaction: bump the brand's
//! catalog version, write the audit record, emit a `catalog` event (which drops cached menus
//! on every instance) and queue a menu rebuild for each branch it touches.

use platform::{
    AppState,
    audit::{self, Entry},
    auth::Principal,
    db::Tx,
    error::Result,
    events::{self, Channel, NewEvent},
    queue::{self, NewTask},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{cache::REBUILD_TASK, repo};

pub struct Change<'a> {
    /// `menu.created`, `item.sold_out`, …
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The branch a branch override concerns; `None`: the whole brand.
    pub branch_id: Option<Uuid>,
}

pub async fn record(tx: &mut Tx, who: &Principal, change: Change<'_>) -> Result<()> {
    let tenant_id = who.tenant_id;
    let version = repo::bump_version(tx, tenant_id).await?;
    audit::record(
        tx,
        tenant_id,
        who.into(),
        Entry {
            action: change.action,
            entity: change.entity,
            entity_id: change.entity_id,
            before: change.before,
            after: change.after,
        },
    )
    .await?;
    events::append(
        tx,
        NewEvent {
            tenant_id,
            branch_id: change.branch_id,
            channel: Channel::Catalog,
            stream: &format!("catalog:{tenant_id}"),
            kind: change.action,
            audience: None,
            payload: json!({
                "entity": change.entity,
                "id": change.entity_id,
                "version": version,
            }),
        },
    )
    .await?;
    let branches = match change.branch_id {
        Some(b) => vec![b],
        None => repo::live_branches(tx).await?,
    };
    for branch_id in branches {
        queue::enqueue(
            tx,
            &NewTask::new(REBUILD_TASK, json!({ "branchId": branch_id }))
                .tenant(tenant_id)
                .priority(10)
                .dedup_key(format!("menu:{branch_id}")),
        )
        .await?;
    }
    Ok(())
}

/// Commits a change and drops the brand's menus from this instance's memory at once, so the
/// person who made it reads it back (other instances follow within moments, on its event).
pub async fn commit(state: &AppState, tx: Tx, tenant_id: Uuid) -> Result<()> {
    tx.commit().await?;
    state.public_cache.invalidate_tenant(tenant_id);
    Ok(())
}

/// Tells the branch's staff screens that an item was sold out or is back, on the branch's
/// `orders` stream the tills already follow (stream `menu:<branch>`, addressed to no guest): a
/// till greys the item at once instead of at its next menu read.
pub async fn announce_stock(
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    item_id: Uuid,
    sold_out: bool,
) -> Result<()> {
    events::append(
        tx,
        NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(branch_id),
            channel: Channel::Orders,
            stream: &format!("menu:{branch_id}"),
            kind: if sold_out {
                "menu.item_sold_out"
            } else {
                "menu.item_back"
            },
            audience: None,
            payload: json!({ "branchId": branch_id, "itemId": item_id, "soldOut": sold_out }),
        },
    )
    .await?;
    Ok(())
}
