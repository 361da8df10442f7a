//! Customer accounts: a customer belongs to one brand. The same email may hold an account with
//! brand A and another with brand B — two passwords, two display names — and nothing a visitor
//! of one brand can ask tells them whether another brand knows that email. Staff users are
//! global (one login across the brands they work for) and live in `users`/`memberships`.

pub mod repo;
pub mod routes;

use platform::{AppState, db::Tx, error::Result};
use uuid::Uuid;

/// Creates an account in the transaction's brand; answers its id.
pub async fn create(
    tx: &mut Tx,
    state: &AppState,
    tenant_id: Uuid,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<Uuid> {
    let hash = state.limits.hashing.hash(password.to_owned()).await?;
    let id = Uuid::now_v7();
    repo::insert(
        tx,
        &repo::NewAccount {
            tenant_id,
            id,
            email: &email.trim().to_lowercase(),
            password_hash: &hash,
            display_name,
        },
    )
    .await?;
    Ok(id)
}
