//! A branch's country: the currency its menu prices in, its VAT rate and whether prices
//! include it, and the legal seller on its invoices. The owner sets them; what is left out
//! comes from the country's defaults (`countries`). A change rebuilds the branch's menu, which
//! every order prices from, so new orders take the new rules at once.
//!
//! Prices are numbers in the branch's currency: a branch whose currency is not the one the
//! brand's prices were written in gives its items their own prices (branch overrides), as the
//! demo's Dubai branch does in AED.

pub mod model;
pub mod repo;
pub mod routes;
