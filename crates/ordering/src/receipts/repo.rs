//! The SQL of receipts. The seller's name, VAT number and address are the kernel's (the brand
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
    /// The e-invoicing scheme of the branch's country (`zatca` in Saudi Arabia).
    pub e_invoicing: Option<String>,
}

/// Who sells at `branch_id`, as the invoice names them: the branch's own legal entity when it
/// names one (its name and VAT number, not mixed with the brand's), else the brand.
pub async fn seller(tx: &mut Tx, branch_id: Uuid) -> Result<Seller> {
    Ok(sqlx::query_as(
        "select coalesce(b.legal_name, t.name) as name, \
                case when b.legal_name is null then t.name_ar else b.legal_name_ar end as name_ar, \
                case when b.legal_name is null then t.vat_number else b.vat_number end as vat_number, \
                b.name as branch_name, b.name_ar as branch_name_ar, \
                b.address, b.address_ar, b.time_zone, k.e_invoicing \
         from branches b join tenants t on t.id = b.tenant_id \
         join countries k on k.code = b.country where b.id = $1",
    )
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}
