//! Fulfillment: delivery zones, drivers and tracking (`delivery`), the waitlist and pickup
//! line (`queue`), and the kitchen part: stations and routing, kitchen tickets and the KDS, course
//! hold & fire, expo readiness and the printable ticket. Tickets are created by a database
//! trigger on the order's acceptance (see `migrations/*_kitchen.sql`), so ordering does not
//! depend on this crate; this crate moves orders to `ready` through ordering's lifecycle.
//!
//! Everything this crate reads or changes of an order goes through `ordering::api` (the order,
//! its lock, a lifecycle step with its history), and its SQL joins ordering's read-only view
//! `order_facts`, never ordering's tables (see docs/architecture.md).
//!
//! The tickets stay a trigger rather than an `order.accepted` domain-event subscriber: made in
//! the acceptance's transaction, they are on the kitchen stream as soon as it commits, while a
//! subscriber adds a worker's wake-up, claim and second transaction before the screen sees them
//! (and needs a worker running wherever tickets are expected). `bench kds` measured it: p50
//! about 3.2 ms with the trigger against 5 ms with a subscriber, p99 6–10 ms against 12–35 ms.

pub mod delivery;
pub mod estimate;
pub mod kds;
pub mod model;
pub mod print;
pub mod queue;
pub mod recall;
pub mod repo;
pub mod routes;
pub mod seed;
pub mod setup;
pub mod timing;

pub use routes::router;
