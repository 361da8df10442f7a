//! The SQL of receipts. The seller's name, VAT number and address are identity's (the brand
//! and the branch): a receipt reads them as printed on the invoice.

use platform::{db::Tx, error::Result};
use sqlx::FromRow;
use uuid::Uuid;

#[derive(Debug, FromRow)]
pub struct Seller {
    pub name: String,
    pub name_ar: Option<String>,
    pub vat_number: Option<String>,
    pub branch_name: String,
    pub branch_name_ar: Option<String>,
    pub address: Option<String>,
    pub address_ar: Option<String>,
    pub time_zone: String,
}

/// Who sells at `branch_id`, as the invoice names them.
pub async fn seller(tx: &mut Tx, branch_id: Uuid) -> Result<Seller> {
    Ok(sqlx::query_as(
        "select t.name, t.name_ar, t.vat_number, b.name as branch_name, b.name_ar as branch_name_ar, \
                b.address, b.address_ar, b.time_zone \
         from branches b join tenants t on t.id = b.tenant_id where b.id = $1",
    )
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}
