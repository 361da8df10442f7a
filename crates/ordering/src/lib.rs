//! Ordering: pricing and VAT, checkout, the order lifecycle and receipts, dining tables and the
//! floor.

pub mod acceptance;
pub mod api;
pub mod carts;
pub mod checks;
pub mod contact;
pub mod delivery;
pub mod floor;
pub mod lifecycle;
pub mod orders;
pub mod policy;
pub mod postings;
pub mod pricing;
pub mod promos;
pub mod receipts;
pub mod seed;
pub mod service_charge;
pub mod tables;
pub mod voids;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// Ordering's HTTP routes: each sub-domain's, merged, with the tenders it asks for placing an
/// order with a card and voiding a paid one. Card data never reaches a handler.
pub fn router(tenders: std::sync::Arc<dyn orders::tenders::Tenders>) -> OpenApiRouter<AppState> {
    orders::routes::routes()
        .merge(tables::routes::routes())
        .merge(floor::routes::routes())
        .merge(promos::routes::routes())
        .merge(service_charge::routes::routes())
        .merge(carts::routes::routes())
        .merge(receipts::routes::routes())
        .merge(checks::routes::routes())
        .merge(voids::routes::routes())
        .merge(acceptance::routes::routes())
        .layer(axum::Extension(tenders))
        .layer(axum::middleware::from_fn(
            platform::card_data::refuse_card_data,
        ))
}

/// Registers ordering's task handlers.
pub fn register(registry: &mut platform::queue::Registry) {
    acceptance::register(registry);
}
