//! A ticket's age against its prep-time target.
//!
//! The target is the longest `prep_seconds` among the ticket's fired items (the ticket is done
//! when its slowest dish is), or [`DEFAULT_TARGET_SECONDS`] when none of them has one. The
//! age runs from when the items reached the kitchen (`fired_at`). Up to 75 % of the target the
//! ticket is on time, up to the target it is a warning, past it it is late. A ticket whose
//! items all wait for their course is `held` and has no age yet.

use serde::Serialize;
use utoipa::ToSchema;

pub const DEFAULT_TARGET_SECONDS: i64 = 600;
/// The share of the target (in percent) after which a ticket turns to a warning.
pub const WARNING_PERCENT: i64 = 75;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Held,
    OnTime,
    Warning,
    Late,
}

pub fn target(prep_seconds: impl IntoIterator<Item = Option<i32>>) -> i64 {
    prep_seconds
        .into_iter()
        .flatten()
        .map(i64::from)
        .max()
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TARGET_SECONDS)
}

pub fn classify(age_seconds: Option<i64>, target_seconds: i64) -> Timing {
    let Some(age) = age_seconds else {
        return Timing::Held;
    };
    if age * 100 <= target_seconds * WARNING_PERCENT {
        Timing::OnTime
    } else if age <= target_seconds {
        Timing::Warning
    } else {
        Timing::Late
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_item_sets_the_target() {
        assert_eq!(target([Some(120), None, Some(480)]), 480);
        assert_eq!(target([None, None]), DEFAULT_TARGET_SECONDS);
        assert_eq!(target([Some(0)]), DEFAULT_TARGET_SECONDS);
    }

    #[test]
    fn thresholds() {
        assert_eq!(classify(None, 400), Timing::Held);
        assert_eq!(classify(Some(0), 400), Timing::OnTime);
        assert_eq!(classify(Some(300), 400), Timing::OnTime);
        assert_eq!(classify(Some(301), 400), Timing::Warning);
        assert_eq!(classify(Some(400), 400), Timing::Warning);
        assert_eq!(classify(Some(401), 400), Timing::Late);
    }
}
