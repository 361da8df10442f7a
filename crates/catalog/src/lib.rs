//! Catalog: a brand's menus with day-parts, categories, items (bilingual, with calories,
//! allergens and prep hints), modifier groups, combos, images, each branch's prices and "86"
//! state; search in English and Arabic; and the cached menu every guest-facing screen reads.

pub mod assemble;
pub mod cache;
mod changes;
pub mod country;
pub mod daypart;
pub mod media;
pub mod menu;
pub mod model;
mod photos;
pub mod repo;
pub mod routes;
pub mod seed;
pub mod transfer;

pub use routes::router;

/// Registers the catalog's task handlers.
pub fn register(registry: &mut platform::queue::Registry) {
    registry.register_fn(cache::REBUILD_TASK, cache::rebuild_task);
}
