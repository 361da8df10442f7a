//! Delivery: zones per branch (polygon or radius) with fee, minimum order and ETA, and the
//! public quote. Checkout applies the same zone look-up (`ordering::api::zone_at`), through the
//! SQL function both call.

pub mod drivers;
pub mod geo;
pub mod model;
pub mod repo;
pub mod routes;
pub mod zones;
