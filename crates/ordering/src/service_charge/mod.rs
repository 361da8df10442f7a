//! A branch's service charge: a rate in basis points of the items after discounts, charged at
//! checkout on the order types the branch chose (dine-in by default: it pays for table
//! service). Pricing computes it (rule 5, docs/ordering.md §4), VAT is charged on it, and the
//! sale entry credits it to `service_charge_revenue`.

pub mod model;
pub mod repo;
pub mod routes;

use std::sync::Arc;

use catalog::{cache::ServedMenu, menu::BranchMenu};
use platform::{
    AppState,
    auth::Principal,
    db::TenantScope,
    error::{Error, Result},
};
use serde_json::json;
use uuid::Uuid;

pub use model::ServiceCharge;

use crate::lifecycle::OrderType;
use model::dine_in_only;

/// A branch's service charge as checkout prices with it: `None` when it never set one.
pub struct Charged(Option<ServiceCharge>);

impl Charged {
    /// The rate for an order of `order_type`, in basis points (0 when not charged).
    pub fn rate_for(&self, order_type: OrderType) -> u32 {
        self.0
            .as_ref()
            .filter(|s| s.order_types.contains(&order_type))
            .map_or(0, |s| s.rate_bp)
    }
}

/// The branch's menu and its service charge, for checkout. The charge is read once per cached
/// menu entry and kept with it ([`platform::public_cache::Cached::attach`]): as fresh as the
/// prices it is charged on, and no round trip per order.
pub async fn with_menu(
    state: &AppState,
    tenant_id: Uuid,
    branch_id: Uuid,
) -> Result<(Arc<BranchMenu>, Arc<Charged>)> {
    let (menu, served) = catalog::cache::branch_menu(state, tenant_id, branch_id).await?;
    let charged = match served.attached::<Charged>() {
        Some(hit) => hit,
        None => read_into(state, tenant_id, branch_id, &served).await?,
    };
    Ok((menu, charged))
}

async fn read_into(
    state: &AppState,
    tenant_id: Uuid,
    branch_id: Uuid,
    served: &ServedMenu,
) -> Result<Arc<Charged>> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let setting = repo::service_charge(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(served.attach(Charged(setting)))
}

/// `GET`: the branch's staff. A branch that never set one charges none (rate 0).
pub async fn get(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<ServiceCharge> {
    who.require_branch(branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    let setting = repo::service_charge(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(setting.unwrap_or(ServiceCharge {
        rate_bp: 0,
        order_types: dine_in_only(),
    }))
}

/// `PUT`: the owner or a manager of the branch; audited. Orders already placed keep theirs.
pub async fn set(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    input: &ServiceCharge,
) -> Result<ServiceCharge> {
    who.require_branch(branch_id)?;
    let mut types = input.order_types.clone();
    let n = types.len();
    types.sort_by_key(|t| *t as u8);
    types.dedup();
    if types.len() != n {
        return Err(Error::invalid("orderTypes", "an order type is named twice"));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    // The branch must be the brand's and not archived (404 otherwise).
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    let before = repo::service_charge(&mut tx, branch_id).await?;
    let setting = ServiceCharge {
        rate_bp: input.rate_bp,
        order_types: types,
    };
    repo::set_service_charge(&mut tx, who.tenant_id, branch_id, &setting, who.id).await?;
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "branch.service_charge_updated",
            entity: "branch",
            entity_id: Some(branch_id),
            before: before.map(|b| json!(b)),
            after: Some(json!(setting)),
        },
    )
    .await?;
    tx.commit().await?;
    // Checkout keeps the charge with the cached menu: drop the brand's menus here at once
    // (other instances renew theirs within `public_cache::MAX_AGE`).
    state.public_cache.invalidate_tenant(who.tenant_id);
    Ok(setting)
}
