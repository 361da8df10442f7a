//! Identity: brands (tenants) and their branches, people and their roles, registered devices,
//! and every way of signing in — password, refresh, staff PIN on a device, customer, guest.

pub mod api;
pub mod approval;
pub mod customers;
pub mod device_auth;
pub mod guests;
pub mod model;
pub mod offboarding;
pub mod pins;
pub mod repo;
pub mod routes;
pub mod seed;
pub mod time_clock;
pub mod tokens;

pub use routes::router;
