//! What the other contexts may use of ordering: a narrow set of functions and types, so that
//! fulfillment, payments and the contexts after them never read ordering's tables or its `repo`
//! modules. Nothing inside ordering uses this module; it only re-exports and wraps.
