//! Recall: undoing a bump, and the tickets a kitchen screen may still recall. Within the
//! branch's recall window the kitchen recalls alone; after it a manager approves (see
//! [`identity::approval`]), for that one recall.

use chrono::Utc;
use identity::approval::{self, ManagerPin};
use ordering::api::{self, Status};
use platform::{
    AppState,
    audit::Entry,
    auth::Principal,
    error::{Error, Result},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    kds::{announced, dtos, kitchen_view, lock},
    model::TicketDto,
    repo,
};

/// The tickets the branch bumped lately that can still be recalled, newest first.
pub async fn bumped(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    station: Option<&str>,
) -> Result<Vec<TicketDto>> {
    let mut tx = kitchen_view(state, who, branch_id, station).await?;
    let tickets = repo::bumped_tickets(&mut tx, who.tenant_id, branch_id, station).await?;
    let out = dtos(&mut tx, &tickets).await?;
    tx.commit().await?;
    Ok(out)
}

/// Recall: undoes a bump. Within the branch's recall window the kitchen does it alone; after
/// it (a dish sent back, a remake) a manager approves — signed in, or by their PIN on the
/// kitchen screen for this one recall — and the audit log names both. An order the bump made
/// ready goes back to `preparing` (the kitchen is not done after all); one already served,
/// picked up or sent out cannot be recalled.
pub async fn recall(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    pin: &ManagerPin,
) -> Result<TicketDto> {
    let (mut tx, order, t) = lock(state, who, id).await?;
    let Some(bumped_at) = t.bumped_at.filter(|_| t.status == "bumped") else {
        return Err(Error::conflict(
            "not_bumped",
            "only a bumped ticket can be recalled",
        ));
    };
    let window = repo::recall_seconds(&mut tx, t.branch_id).await?;
    let now: chrono::DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&mut *tx)
        .await?;
    let approved_by = if (now - bumped_at).num_milliseconds() > i64::from(window) * 1000 {
        let what = format!("recalling a ticket more than {window} seconds after its bump");
        Some(approval::approve(state, &mut tx, who, t.branch_id, pin, &what).await?)
    } else {
        None
    };
    match order.status {
        Status::Accepted | Status::Preparing => {}
        Status::Ready => {
            api::step(
                &mut tx,
                who.tenant_id,
                who.id,
                order.id,
                Status::Ready,
                Status::Preparing,
                "kitchen recall",
            )
            .await?;
        }
        s => {
            return Err(Error::conflict(
                "order_moved_on",
                format!("the order is already {}", s.as_str()),
            ));
        }
    }
    repo::reopen_items(&mut tx, id, bumped_at).await?;
    repo::set_status(&mut tx, id, "started", true, None).await?;
    if let Some(approver) = approved_by {
        approval::record_approved(
            &mut tx,
            who,
            approver,
            Entry {
                action: "ticket.recalled",
                entity: "kitchen_ticket",
                entity_id: Some(id),
                before: Some(json!({ "status": "bumped", "bumpedAt": bumped_at })),
                after: Some(json!({ "status": "started", "orderId": order.id })),
            },
        )
        .await?;
    }
    let out = announced(&mut tx, &order, id, "ticket.recalled").await?;
    tx.commit().await?;
    Ok(out)
}
