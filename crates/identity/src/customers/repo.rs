//! SQL of customer accounts. Every statement runs under the brand's scope (RLS), so an email
//! is only ever looked up among the accounts of the brand being signed in to.

use platform::{
    db::Tx,
    error::{Error, Result, ResultExt},
};
use uuid::Uuid;

pub struct NewAccount<'a> {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
}

pub async fn insert(tx: &mut Tx, a: &NewAccount<'_>) -> Result<()> {
    sqlx::query(
        "insert into customer_accounts (tenant_id, id, email, password_hash, display_name) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(a.tenant_id)
    .bind(a.id)
    .bind(a.email)
    .bind(a.password_hash)
    .bind(a.display_name)
    .execute(&mut **tx)
    .await
    .on_constraint("customer_accounts_email_key", || {
        Error::conflict(
            "email_taken",
            "this brand already has a customer account with this email",
        )
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
}

/// The enabled account of the scope's brand with this email.
pub async fn credentials(tx: &mut Tx, email: &str) -> Result<Option<Credentials>> {
    Ok(sqlx::query_as(
        "select id, password_hash from customer_accounts \
         where email = $1::citext and disabled_at is null",
    )
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?)
}

#[derive(sqlx::FromRow)]
pub struct Profile {
    pub email: String,
    pub display_name: String,
}

pub async fn profile(tx: &mut Tx, id: Uuid) -> Result<Option<Profile>> {
    Ok(
        sqlx::query_as("select email::text, display_name from customer_accounts where id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Whether the account still signs in (a refresh acts for it).
pub async fn active(tx: &mut Tx, id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from customer_accounts where id = $1 and disabled_at is null)",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}
