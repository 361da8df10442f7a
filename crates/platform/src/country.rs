//! A branch's country rules, as every context reads them: the currency it sells in (and its
//! minor units), its VAT rate and whether prices include it, the e-invoicing scheme of its
//! receipts and the legal seller on its invoices. The kernel owns `branches` and the
//! `countries` and `currencies` reference tables; the owner changes a branch's settings through
//! catalog (`catalog::country`), since they change what its menu charges.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    db::Tx,
    error::{Error, Result},
};

/// How a branch prices, taxes and invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchCountry {
    pub branch_id: Uuid,
    /// ISO 3166-1 alpha-2 (SA, AE, BH, OM, QA, KW).
    pub country: String,
    /// ISO 4217: what the branch's prices, orders and books are in.
    pub currency: String,
    /// Minor units per major unit are 10^minorUnits: 2 for SAR and AED, 3 for BHD, KWD, OMR.
    pub minor_units: i16,
    /// Basis points: 1500 is 15 %.
    pub vat_rate_bp: i32,
    pub vat_inclusive: bool,
    /// `zatca` for branches whose receipts carry the ZATCA QR code; absent elsewhere.
    pub e_invoicing: Option<String>,
    /// The seller on the branch's invoices when it is not the brand (absent: the brand's).
    pub vat_number: Option<String>,
    pub legal_name: Option<String>,
    pub legal_name_ar: Option<String>,
}

/// The branch's country rules (an archived branch's too: its receipts are still printed).
/// Another brand's branch is not found.
pub async fn of_branch(tx: &mut Tx, branch_id: Uuid) -> Result<BranchCountry> {
    sqlx::query_as(
        "select b.id as branch_id, b.country, b.currency, c.minor_units, b.vat_rate_bp, \
                b.vat_inclusive, k.e_invoicing, b.vat_number, b.legal_name, b.legal_name_ar \
         from branches b join currencies c on c.code = b.currency \
         join countries k on k.code = b.country where b.id = $1",
    )
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// The minor units of a currency (2 for one the table does not know).
pub async fn minor_units(tx: &mut Tx, currency: &str) -> Result<i16> {
    Ok(
        sqlx::query_scalar("select minor_units from currencies where code = $1")
            .bind(currency)
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or(2),
    )
}
