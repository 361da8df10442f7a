//! The audit log: who changed what, with the row before and after. Written in the same
//! transaction as the change, so an audited change and its record commit or vanish together.

use serde_json::Value;
use uuid::Uuid;

use crate::{auth::Role, db::Tx, error::Result};

pub struct Actor {
    pub id: Option<Uuid>,
    pub role: Option<Role>,
}

impl From<&crate::auth::Principal> for Actor {
    fn from(p: &crate::auth::Principal) -> Self {
        Self {
            id: Some(p.id),
            role: Some(p.role),
        }
    }
}

/// One audited change.
pub struct Entry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(tx: &mut Tx, tenant_id: Uuid, actor: Actor, e: Entry<'_>) -> Result<()> {
    sqlx::query(
        "insert into audit_log (tenant_id, actor_id, actor_role, action, entity, entity_id, before, after) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(actor.id)
    .bind(actor.role)
    .bind(e.action)
    .bind(e.entity)
    .bind(e.entity_id)
    .bind(e.before)
    .bind(e.after)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
