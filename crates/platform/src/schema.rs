//! Request shapes more than one context takes, each with its parser and its OpenAPI schema side
//! by side, so that what the document promises and what the server accepts are one rule.

use chrono::NaiveTime;
use utoipa::openapi::{
    ArrayBuilder, ObjectBuilder, Type,
    schema::{AdditionalProperties, Object},
};

/// A time of day as `HH:MM` (24 hours, two digits each).
pub const HHMM_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/// Parses `HH:MM` exactly as [`HHMM_PATTERN`] states it (chrono alone would also take `9:30`).
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let b = s.as_bytes();
    let shape = b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
    shape
        .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
}

/// The schema of an `HH:MM` string.
pub fn hhmm() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(HHMM_PATTERN))
        .examples([serde_json::json!("09:30")])
        .build()
}

/// ISO weekdays, 1 (Monday) to 7 (Sunday).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The schema of a branch's opening hours: for each day (`mon` … `sun`, any left out), a list of
/// `["HH:MM", "HH:MM"]` spans.
pub fn opening_hours() -> Object {
    let span = ArrayBuilder::new()
        .items(hhmm())
        .min_items(Some(2))
        .max_items(Some(2))
        .build();
    let mut hours = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for day in WEEKDAYS {
        hours = hours.property(
            day,
            ArrayBuilder::new().items(utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Array(
                span.clone(),
            ))),
        );
    }
    hours.build()
}

/// The schema of a day-part's `days`: one to seven ISO weekday numbers.
pub fn weekday_numbers() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(7)),
        )
        .min_items(Some(1))
        .max_items(Some(7))
        .build()
}

/// The schema of an IANA time zone name: the names `chrono_tz::Tz` parses.
pub fn time_zone() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
        .examples([serde_json::json!("Asia/Riyadh")])
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_two_digits_each() {
        assert!(parse_hhmm("09:30").is_some());
        assert!(parse_hhmm("23:59").is_some());
        for bad in ["9:30", "24:00", "09:60", " 9:30", "09:30 ", "0930", "ab:cd"] {
            assert!(parse_hhmm(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn every_zone_in_the_schema_parses() {
        let schema = serde_json::to_value(time_zone()).unwrap();
        let names = schema["enum"].as_array().unwrap();
        assert!(names.len() > 300);
        for name in names {
            let name = name.as_str().unwrap();
            assert!(name.parse::<chrono_tz::Tz>().is_ok(), "{name}");
        }
    }
}
