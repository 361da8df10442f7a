//! Reading an order and its status history, for whoever may see it.

use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

use super::{
    model::{OrderDto, StatusChange},
    repo,
};

/// `GET /api/orders/{id}`: the branch's staff, or the guest or customer who placed it.
pub async fn get(state: &AppState, who: &Principal, order_id: Uuid) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let row = visible_order(&mut tx, who, order_id).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// The order's status history, oldest first; visible to whoever may see the order.
pub async fn status_history(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
) -> Result<Vec<StatusChange>> {
    let mut tx = state.db.begin(who.scope()).await?;
    visible_order(&mut tx, who, order_id).await?;
    let changes = repo::status_changes(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(changes)
}

/// The order, if `who` may see it: the branch's staff, or the guest or customer who placed it.
async fn visible_order(tx: &mut Tx, who: &Principal, order_id: Uuid) -> Result<repo::OrderRow> {
    let row = repo::order(tx, order_id, false).await?;
    let allowed = match who.kind {
        PrincipalKind::Staff => who.can_access_branch(row.branch_id),
        _ => row.placed_by == who.id,
    };
    if !allowed {
        // Someone else's order is not found, not forbidden: ids are not to be probed.
        return Err(Error::NotFound);
    }
    Ok(row)
}
