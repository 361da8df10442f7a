//! Authentication primitives shared by every context: tokens, password/PIN hashing, device
//! request signatures, and the principal extractors that enforce roles.

pub mod branch;
pub mod jwt;
pub mod password;
pub mod principal;
pub mod sessions;
pub mod signing;

pub use branch::{BranchAuth, BranchDirectory};
pub use jwt::{Claims, JwtKeys};
pub use principal::{Auth, Policy, Principal, PrincipalKind, Role, policy};
