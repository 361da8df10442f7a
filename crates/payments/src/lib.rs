//! Payments: the tenders taken against orders (cash, card on a terminal, online through a
//! hosted page), refunds, cash drawers, settlements and the reconciliation of the books, with
//! the adapters of the providers that take them. Every money movement is posted to the ledger
//! (its own crate). Payments reads and changes orders only through `ordering::api`, and gives
//! ordering the tenders it asks for through the `ordering::api::Tenders` port.

pub mod attempts;
pub mod card;
pub mod cash;
pub mod drawers;
pub mod errors;
pub mod online;
pub mod provider;
pub mod reconcile;
pub mod recovery;
pub mod refunds;
pub mod routes;
pub mod settlements;
pub mod tenders;

pub use recovery::register;
pub use routes::router;
pub use tenders::tenders;
