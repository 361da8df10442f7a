//! Ordering: pricing and VAT, checkout, the order lifecycle and receipts.

pub mod api;
pub mod card;
pub mod card_at_placement;
pub mod carts;
pub mod checkout;
pub mod checks;
pub mod contact;
pub mod delivery;
pub mod drawers;
pub mod guest_orders;
pub mod lifecycle;
pub mod model;
pub mod online;
pub mod policy;
pub mod postings;
pub mod pricing;
pub mod promos;
pub mod receipts;
pub mod refunds;
pub mod repo;
pub mod routes;
pub mod seed;
pub mod service_charge;
pub mod settlement;
pub mod tables;

pub use card::register;
pub use routes::router;
