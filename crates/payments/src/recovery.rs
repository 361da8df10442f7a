//! The task that brings an attempt its request left open to its end: a charge, a refund or an
//! online session.

use platform::{
    db::TenantScope,
    queue::{self, TaskCtx},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    attempts::{RESOLVE_TASK, Settled, repo},
    card::{Driver, resolve_charge},
    refunds::card::resolve_refund,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvePayload {
    attempt_id: Uuid,
}

/// The `payments.resolve_attempt` task: settles an attempt its request left open. Ends quietly
/// once the attempt is settled; fails (and is retried by the queue) while the terminal cannot
/// tell yet.
pub async fn resolve_task(ctx: TaskCtx, payload: ResolvePayload) -> anyhow::Result<()> {
    let tenant_id = ctx
        .tenant_id
        .ok_or_else(|| queue::permanent(anyhow::anyhow!("an attempt belongs to a tenant")))?;
    let scope = TenantScope::tenant(tenant_id);
    let mut tx = ctx.db.begin(scope).await?;
    let Some(a) = repo::attempt(&mut tx, payload.attempt_id, false).await? else {
        return Ok(());
    };
    tx.commit().await?;
    if !matches!(a.status.as_str(), "pending" | "unknown") {
        return Ok(());
    }
    let settled = if a.kind == "charge" && a.method == "online" {
        crate::online::resolve(&ctx.db, scope, &a, true).await?
    } else if a.kind == "charge" {
        resolve_charge(&ctx.db, scope, &a, Driver::Sweep, None).await?
    } else {
        resolve_refund(&ctx.db, scope, &a).await?
    };
    if matches!(&settled, Settled::Failed(e) if crate::errors::is_provider_silence(e)) {
        // Still open (or the terminal unreachable): let the queue try again later.
        let mut tx = ctx.db.begin(scope).await?;
        let still = repo::attempt(&mut tx, a.id, false).await?;
        tx.commit().await?;
        if still.is_some_and(|s| matches!(s.status.as_str(), "pending" | "unknown")) {
            anyhow::bail!("attempt {} is still open", a.id);
        }
    }
    Ok(())
}

/// Registers the task handlers of card payments.
pub fn register(registry: &mut queue::Registry) {
    registry.register_fn(RESOLVE_TASK, resolve_task);
}
