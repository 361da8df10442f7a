//! API tests: each test gets its own database (cloned from the migrated template on the
//! throwaway cluster of `make test`) and its own server on a loopback port.

mod auth;
mod card_at_placement;
mod card_data;
mod card_payments;
mod carts;
mod catalog;
mod checks;
mod delivery;
mod device_sessions;
mod drivers;
mod helpers;
mod isolation;
mod kitchen;
mod line_discounts;
mod login_limits;
mod menu_cache;
mod offboarding;
mod online_payments;
mod orders;
mod pin_policy;
mod queue;
mod rbac;
mod search;
mod seed;
mod serve;
mod service_charge;
mod settlements;
mod sse;
mod tasks;
mod validation;
