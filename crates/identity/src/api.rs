//! What the other contexts may read of identity synchronously: a narrow set of questions about
//! the brand's staff, so that they never read `users` or `memberships` themselves. Each runs in
//! the caller's tenant-scoped transaction, so row-level security keeps it to the caller's brand.

use std::collections::HashMap;

use platform::{db::Tx, error::Result};
use uuid::Uuid;

/// The display names of the people among `ids` who belong to the caller's brand (any role);
/// an id of no one, or of someone outside the brand, is left out.
pub async fn display_names(tx: &mut Tx, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("select id, display_name from users where id = any($1)")
            .bind(ids)
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Whether `user_id` works front of house at `branch_id` (owner, manager, cashier or waiter):
/// a membership of the brand that is not disabled and covers the branch.
pub async fn front_of_house_at(tx: &mut Tx, user_id: Uuid, branch_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from memberships \
                        where user_id = $1 and disabled_at is null \
                          and role in ('owner', 'manager', 'cashier', 'waiter') \
                          and (branch_id is null or branch_id = $2))",
    )
    .bind(user_id)
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}
