//! Payments: tenders taken against orders and the double-entry ledger every money movement
//! is posted to.

pub mod ledger;
pub mod provider;
