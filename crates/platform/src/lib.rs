//! The shared kernel of sous: configuration, database access with tenant scoping, the embedded
//! PostgreSQL, the error type, authentication primitives and HTTP plumbing.

pub mod audit;
pub mod auth;
pub mod card_data;
pub mod config;
pub mod country;
pub mod db;
pub mod domain_events;
pub mod embedded_pg;
pub mod error;
pub mod events;
mod extract;
pub mod group_commit;
pub mod health;
pub mod http;
pub mod public_cache;
pub mod queue;
pub mod rate_limit;
pub mod scheduler;
pub mod schema;
pub mod secrets;
pub mod sse;
pub mod state;
pub mod text;

/// Names of the variables `sous test-cluster` hands to the tests.
pub mod testing_env {
    /// Owner URL of the throwaway cluster's `postgres` database.
    pub const ADMIN_URL_ENV: &str = "SOUS_TEST_ADMIN_URL";
    /// The migrated template database each test clones.
    pub const TEMPLATE_ENV: &str = "SOUS_TEST_TEMPLATE";
}

pub use error::{Error, Result};
pub use state::AppState;
#[cfg(feature = "testing")]
pub mod testing;
