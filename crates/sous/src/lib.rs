//! The `sous` binary's library half: composing the routers into one app, resolving the database
//! (embedded or external), and the operational subcommands.

pub mod app;
pub mod background;
pub mod bootstrap;
pub mod doctor;
pub mod openapi;
pub mod production;
pub mod security_headers;
pub mod shutdown;
pub mod test_cluster;
pub mod web;
