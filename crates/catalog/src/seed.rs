//! The demo brand's menu: a bilingual Saudi casual-dining menu (breakfast day-part, modifier
//! groups, combos), with the Dubai branch charging its own price for one burger and one dish
//! 86'd there, so every catalog feature shows on first start.

use platform::{
    AppState,
    db::TenantScope,
    error::{Error, Result},
};
use uuid::Uuid;

use crate::{repo, transfer};

/// The menu document, in the import format.
pub const DEMO_MENU: &str = include_str!("../seed/demo-menu.json");

/// What the demo's Dubai branch does differently.
pub const DUBAI_PRICE_SKU: &str = "BRG-001";
pub const DUBAI_PRICE: i64 = 3500;
pub const DUBAI_SOLD_OUT_SKU: &str = "SHW-002";

/// Imports the demo menu into `tenant_id` and sets the Dubai branch's override and 86.
pub async fn run(state: &AppState, tenant_id: Uuid, dubai: Uuid) -> Result<()> {
    let doc: transfer::MenuDocument =
        serde_json::from_str(DEMO_MENU).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    repo::bump_version(&mut tx, tenant_id).await?;
    transfer::import(&mut tx, tenant_id, &doc).await?;
    let priced = repo::item_id_by_sku(&mut tx, DUBAI_PRICE_SKU)
        .await?
        .ok_or(Error::NotFound)?;
    repo::set_item_override(&mut tx, tenant_id, dubai, priced, Some(DUBAI_PRICE), false).await?;
    let sold_out = repo::item_id_by_sku(&mut tx, DUBAI_SOLD_OUT_SKU)
        .await?
        .ok_or(Error::NotFound)?;
    repo::set_sold_out(&mut tx, tenant_id, dubai, sold_out, None).await?;
    tx.commit().await?;
    Ok(())
}
