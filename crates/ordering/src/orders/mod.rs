//! Orders: placing them (one checkout path for the POS, a guest at a table, the website and a
//! cart), the group commit that writes the common ones together, their lifecycle and history,
//! and the lists staff work from.
//!
//! Inside, the chain runs one way: `routes → {place, status, history} → priced → group → repo
//! → model`.

pub mod card_at_placement;
pub mod facts;
pub mod group;
pub mod guests;
pub mod history;
pub mod model;
pub mod place;
pub mod priced;
pub mod repo;
pub mod routes;
pub mod status;
pub mod tenders;

pub use history::{get, status_history};
pub use place::{Answer, Basket, Basketed, NoBasket, place, request_hash, request_hash_at};
pub use status::{change_status, move_table};
