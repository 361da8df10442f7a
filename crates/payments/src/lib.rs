//! Payments: tenders taken against orders, and the adapters of the providers that take them.
//! Every money movement is posted to the ledger (its own crate).

pub mod errors;
pub mod provider;
