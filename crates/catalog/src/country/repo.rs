//! The SQL of a branch's country settings. The columns are the kernel's `branches`; catalog
//! writes them because they change what the branch's menu charges.

use platform::{
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

use super::model::{BranchCountryInput, Country};

pub async fn countries(tx: &mut Tx) -> Result<Vec<Country>> {
    Ok(sqlx::query_as(
        "select k.code, k.name, k.name_ar, k.currency, c.minor_units, k.vat_rate_bp, \
                k.vat_inclusive, k.e_invoicing \
         from countries k join currencies c on c.code = k.currency order by k.code",
    )
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn country(tx: &mut Tx, code: &str) -> Result<Option<Country>> {
    Ok(sqlx::query_as(
        "select k.code, k.name, k.name_ar, k.currency, c.minor_units, k.vat_rate_bp, \
                k.vat_inclusive, k.e_invoicing \
         from countries k join currencies c on c.code = k.currency where k.code = $1",
    )
    .bind(code)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn currency_exists(tx: &mut Tx, code: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar("select exists(select from currencies where code = $1)")
            .bind(code)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Sets the branch's settings, the country's defaults filling what `input` leaves out.
pub async fn set(
    tx: &mut Tx,
    branch_id: Uuid,
    input: &BranchCountryInput,
    country: &Country,
) -> Result<()> {
    let rows = sqlx::query(
        "update branches set country = $2, currency = $3, vat_rate_bp = $4, vat_inclusive = $5, \
                legal_name = $6, legal_name_ar = $7, vat_number = $8 \
         where id = $1 and status <> 'archived'",
    )
    .bind(branch_id)
    .bind(&country.code)
    .bind(input.currency.as_deref().unwrap_or(&country.currency))
    .bind(input.vat_rate_bp.unwrap_or(country.vat_rate_bp))
    .bind(input.vat_inclusive.unwrap_or(country.vat_inclusive))
    .bind(&input.legal_name)
    .bind(&input.legal_name_ar)
    .bind(&input.vat_number)
    .execute(&mut **tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.constraint() == Some("branch_currency_in_use") => {
            Error::conflict(
                "branch_currency_in_use",
                "the branch has taken money in its currency, which cannot change now: \
                 open a new branch for the other currency",
            )
        }
        other => other.into(),
    })?
    .rows_affected();
    if rows == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
