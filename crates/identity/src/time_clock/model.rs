//! Request and response types of the time clock.

use chrono::{DateTime, NaiveDate, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Longest note on an entry.
pub const MAX_NOTE_CHARS: usize = 500;
/// Most breaks a correction may give one entry.
pub const MAX_BREAKS: usize = 20;
/// Most days one timesheet covers.
pub const MAX_SHEET_DAYS: i64 = 93;
/// Longest entry a correction may make: a longer one is a mistyped date, not a shift.
pub const MAX_ENTRY_HOURS: i64 = 24;

/// `POST /api/time-clock/in`.
#[derive(Clone, Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClockIn {
    /// The branch worked at; left out, the session's branch (a PIN session's is its device's).
    #[garde(skip)]
    #[serde(default)]
    pub branch_id: Option<Uuid>,
    #[garde(length(chars, max = MAX_NOTE_CHARS))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/time-clock/break/start`.
#[derive(Clone, Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StartBreak {
    /// A paid break counts as worked time (default: unpaid).
    #[garde(skip)]
    #[serde(default)]
    pub paid: bool,
}

/// A break as a correction gives it.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BreakInput {
    #[garde(skip)]
    pub started_at: DateTime<Utc>,
    #[garde(skip)]
    pub ended_at: DateTime<Utc>,
    #[garde(skip)]
    #[serde(default)]
    pub paid: bool,
}

/// `PUT /api/time-entries/{id}`: a manager's correction (a forgotten clock-out, a wrong time).
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Correction {
    #[garde(skip)]
    pub clock_in: DateTime<Utc>,
    /// After `clockIn`, not in the future, at most 24 hours after `clockIn`.
    #[garde(skip)]
    pub clock_out: DateTime<Utc>,
    /// Why (kept in the audit log).
    #[garde(length(chars, min = 1, max = MAX_NOTE_CHARS))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// The entry's breaks as they should be, replacing those recorded; left out, they stay (an
    /// open one ends at `clockOut`). Each inside the entry, none overlapping another.
    #[garde(length(max = MAX_BREAKS), dive)]
    #[schema(max_items = 20)]
    #[serde(default)]
    pub breaks: Option<Vec<BreakInput>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct TimeBreak {
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub paid: bool,
}

/// One stretch of work of one staff member at one branch.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeEntry {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub clock_in: DateTime<Utc>,
    /// Null while on the clock.
    pub clock_out: Option<DateTime<Utc>>,
    /// The POS the PIN session that clocked in was on; null for a password session.
    pub device_id: Option<Uuid>,
    pub clocked_in_by: Uuid,
    /// The member, or the manager who closed the entry (a correction, disabling the member).
    pub clocked_out_by: Option<Uuid>,
    pub note: Option<String>,
    pub breaks: Vec<TimeBreak>,
    /// Clock time less unpaid breaks; an open entry counts up to now.
    pub worked_seconds: i64,
    /// Every break, paid or not.
    pub break_seconds: i64,
    /// The latest correction's author and time; null when never corrected.
    pub edited_by: Option<Uuid>,
    pub edited_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    Off,
    On,
    OnBreak,
}

/// `GET /api/time-clock`: where the caller stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockState {
    pub status: ClockStatus,
    /// The open entry; null when off the clock.
    pub entry: Option<TimeEntry>,
    /// The open entry's worked time so far (0 when off).
    pub worked_seconds: i64,
    /// The open entry's breaks so far (0 when off).
    pub break_seconds: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SheetQuery {
    /// First day (YYYY-MM-DD, the branch's own date); default today at the branch.
    pub from: Option<NaiveDate>,
    /// Last day, included (default `from`); at most 93 days after `from`.
    pub to: Option<NaiveDate>,
    /// Only this staff member's entries.
    pub user_id: Option<Uuid>,
}

/// One staff member's totals over a timesheet.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffTime {
    pub user_id: Uuid,
    pub display_name: String,
    pub entries: i64,
    pub worked_seconds: i64,
    pub break_seconds: i64,
}

/// `GET /api/branches/{branch_id}/time-entries`: the entries that began on the days asked
/// (in the branch's time zone), oldest first, and each person's totals.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeSheet {
    pub branch_id: Uuid,
    pub time_zone: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub entries: Vec<TimeEntry>,
    /// By display name.
    pub summary: Vec<StaffTime>,
}
