//! The wire types of a branch's country settings.

use garde::Validate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

pub use platform::country::BranchCountry;

/// A country sous knows, with the defaults a branch there starts from.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub name: String,
    pub name_ar: String,
    pub currency: String,
    pub minor_units: i16,
    pub vat_rate_bp: i32,
    pub vat_inclusive: bool,
    /// `zatca` where receipts carry the ZATCA QR code.
    pub e_invoicing: Option<String>,
}

/// `PUT /api/branches/{branchId}/country`. The currency and VAT default to the country's; the
/// legal seller (name and VAT number) to the brand when `legalName` is left out.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BranchCountryInput {
    /// ISO 3166-1 alpha-2 of a country in `GET /api/countries`.
    #[garde(pattern(r"^[A-Z]{2}$"))]
    #[schema(pattern = r"^[A-Z]{2}$")]
    pub country: String,
    /// ISO 4217; the country's currency when left out.
    #[serde(default)]
    #[garde(inner(pattern(r"^[A-Z]{3}$")))]
    #[schema(pattern = r"^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Basis points (1500 = 15 %); the country's standard rate when left out.
    #[serde(default)]
    #[garde(inner(range(min = 0, max = 10_000)))]
    #[schema(minimum = 0, maximum = 10000)]
    pub vat_rate_bp: Option<i32>,
    /// Whether menu prices include VAT; the country's rule when left out.
    #[serde(default)]
    #[garde(skip)]
    pub vat_inclusive: Option<bool>,
    /// The legal entity selling at this branch, when it is not the brand.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub legal_name: Option<String>,
    /// Needs `legalName`.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub legal_name_ar: Option<String>,
    /// The legal entity's VAT registration number; needs `legalName`.
    #[serde(default)]
    #[garde(inner(pattern(r"^[0-9A-Z]{5,20}$")))]
    #[schema(pattern = r"^[0-9A-Z]{5,20}$")]
    pub vat_number: Option<String>,
}
