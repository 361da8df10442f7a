//! Day-parts: when a menu is served, in the branch's local time ("Breakfast 06:00–11:30 every
//! day", "Late night Thu–Fri 22:00–02:00").

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One span of a menu's schedule. `days` are ISO weekdays (1 = Monday … 7 = Sunday) on which the
/// span *starts*; an `end` before the `start` runs past midnight into the next day, and an `end`
/// equal to the `start` means the whole day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayPart {
    #[schema(schema_with = platform::schema::weekday_numbers)]
    pub days: Vec<u8>,
    /// "HH:MM"
    #[schema(schema_with = platform::schema::hhmm)]
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    /// "HH:MM"
    #[schema(schema_with = platform::schema::hhmm)]
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

impl DayPart {
    pub fn check(&self) -> Result<(), String> {
        if self.days.is_empty() {
            return Err("days must name at least one weekday".into());
        }
        if self.days.len() > 7 {
            return Err("days names each weekday at most once (at most 7)".into());
        }
        if self.days.iter().any(|d| !(1..=7).contains(d)) {
            return Err("days are ISO weekdays 1 (Monday) to 7 (Sunday)".into());
        }
        Ok(())
    }

    fn starts_on(&self, date: NaiveDate) -> bool {
        let weekday = date.weekday().number_from_monday() as u8;
        self.days.contains(&weekday)
    }

    /// Whether the span is on at `local` (the branch's wall-clock time).
    fn is_on(&self, date: NaiveDate, time: NaiveTime) -> bool {
        if self.start == self.end {
            return self.starts_on(date);
        }
        if self.start < self.end {
            return self.starts_on(date) && self.start <= time && time < self.end;
        }
        // Across midnight: the evening of a listed day, or the small hours after one.
        (self.starts_on(date) && time >= self.start)
            || (time < self.end && date.pred_opt().is_some_and(|d| self.starts_on(d)))
    }
}

/// Whether a menu with this schedule is served at `at` in `tz`. No spans: all day, every day.
pub fn is_on(schedule: &[DayPart], tz: Tz, at: DateTime<Utc>) -> bool {
    if schedule.is_empty() {
        return true;
    }
    let local = at.with_timezone(&tz).naive_local();
    schedule.iter().any(|p| p.is_on(local.date(), local.time()))
}

/// The first instant after `at` at which any span of any schedule starts or ends: until then,
/// which menus are on cannot change. `None` when no schedule has a span.
pub fn next_change<'a>(
    schedules: impl IntoIterator<Item = &'a [DayPart]>,
    tz: Tz,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let today = at.with_timezone(&tz).date_naive();
    let mut best: Option<DateTime<Utc>> = None;
    for part in schedules.into_iter().flatten() {
        // A week and a day ahead covers every weekday and a span ending the day after.
        for offset in 0..=8 {
            let Some(date) = today.checked_add_days(Days::new(offset)) else {
                continue;
            };
            for time in [part.start, part.end] {
                // In a DST gap the wall time does not exist; the change happens at the first
                // instant after it, which the next candidate (or the 5-minute refresh) covers.
                if let Some(instant) = tz.from_local_datetime(&date.and_time(time)).earliest() {
                    let instant = instant.with_timezone(&Utc);
                    if instant > at && best.is_none_or(|b| instant < b) {
                        best = Some(instant);
                    }
                }
            }
        }
    }
    best
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        platform::schema::parse_hhmm(&s)
            .ok_or_else(|| D::Error::custom(format!("`{s}` is not a time of day HH:MM")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(days: &[u8], start: &str, end: &str) -> DayPart {
        DayPart {
            days: days.to_vec(),
            start: NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
            end: NaiveTime::parse_from_str(end, "%H:%M").unwrap(),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const RIYADH: Tz = chrono_tz::Asia::Riyadh;

    #[test]
    fn breakfast_follows_the_branch_clock_not_utc() {
        let breakfast = [part(&[1, 2, 3, 4, 5, 6, 7], "06:00", "11:30")];
        // 03:30 UTC is 06:30 in Riyadh (UTC+3).
        assert!(is_on(&breakfast, RIYADH, utc("2026-11-25T03:30:00Z")));
        // 08:45 UTC is 11:45 in Riyadh: over, though it is still morning in UTC.
        assert!(!is_on(&breakfast, RIYADH, utc("2026-11-25T08:45:00Z")));
        // 06:30 UTC is 10:30 in Dubai (UTC+4) but 09:30 in London: both on.
        assert!(is_on(
            &breakfast,
            chrono_tz::Asia::Dubai,
            utc("2026-11-25T06:30:00Z")
        ));
        // 02:30 UTC: 05:30 in Riyadh, not yet.
        assert!(!is_on(&breakfast, RIYADH, utc("2026-11-25T02:30:00Z")));
    }

    #[test]
    fn a_span_across_midnight_belongs_to_the_day_it_starts() {
        // Thursday (4) 22:00 → Friday 02:00.
        let late = [part(&[4], "22:00", "02:00")];
        // 2026-11-26 is a Thursday. 19:30 UTC = 22:30 Riyadh Thursday.
        assert!(is_on(&late, RIYADH, utc("2026-11-26T19:30:00Z")));
        // 22:30 UTC Thursday = 01:30 Friday in Riyadh: still the Thursday night span.
        assert!(is_on(&late, RIYADH, utc("2026-11-26T22:30:00Z")));
        // 23:30 UTC = 02:30 Friday: over.
        assert!(!is_on(&late, RIYADH, utc("2026-11-26T23:30:00Z")));
        // Wednesday night 01:30 Thursday belongs to Wednesday, which is not listed.
        assert!(!is_on(&late, RIYADH, utc("2026-11-25T22:30:00Z")));
    }

    #[test]
    fn no_schedule_is_all_day_and_equal_ends_are_whole_days() {
        assert!(is_on(&[], RIYADH, utc("2026-11-25T00:00:00Z")));
        let fridays = [part(&[5], "00:00", "00:00")];
        assert!(is_on(&fridays, RIYADH, utc("2026-11-27T12:00:00Z")));
        assert!(!is_on(&fridays, RIYADH, utc("2026-11-26T12:00:00Z")));
    }

    #[test]
    fn the_next_change_is_the_nearest_boundary_in_local_time() {
        let breakfast = [part(&[1, 2, 3, 4, 5, 6, 7], "06:00", "11:30")];
        let at = utc("2026-11-25T04:00:00Z"); // 07:00 Riyadh
        let next = next_change([&breakfast[..]], RIYADH, at).unwrap();
        assert_eq!(next, utc("2026-11-25T08:30:00Z")); // 11:30 Riyadh
        let after = next_change([&breakfast[..]], RIYADH, next).unwrap();
        assert_eq!(after, utc("2026-11-26T03:00:00Z")); // 06:00 next day
        assert_eq!(next_change([&[][..]], RIYADH, at), None);
    }

    #[test]
    fn bad_days_are_refused() {
        assert!(part(&[], "06:00", "07:00").check().is_err());
        assert!(part(&[0], "06:00", "07:00").check().is_err());
        assert!(part(&[8], "06:00", "07:00").check().is_err());
        assert!(part(&[7], "06:00", "07:00").check().is_ok());
    }
}
