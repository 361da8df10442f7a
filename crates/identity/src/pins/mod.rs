//! Staff PINs: sign-in on a registered device (the person is picked first, on a staff tile, then
//! their PIN is checked), and the lock-out that makes guessing PINs slow.
//!
//! Policy: failures are counted per staff member, per device and per caller asking for a
//! manager's approval. At [`USER_LIMIT`] failures for one member (or [`DEVICE_LIMIT`] on one
//! device, or [`APPROVAL_LIMIT`] approvals asked by one caller) the counter locks for 30 s, and
//! each further failure doubles the lock, up to an hour. While locked, the PIN is not even
//! checked. A counter starts again after 15 minutes without a failure and without a lock; a
//! member's own successful sign-in clears their count, and nobody else's success clears anyone's.

pub mod repo;
pub mod routes;

/// Failures of PIN sign-ins as one staff member before their PIN locks.
pub const USER_LIMIT: i32 = 5;
/// Failures of any PIN typed on one device before the device locks.
pub const DEVICE_LIMIT: i32 = 10;
/// Wrong manager PINs given by one caller before their approvals lock.
pub const APPROVAL_LIMIT: i32 = 5;

/// A new staff member's PIN: 6 random digits.
pub(crate) fn new_pin() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}
