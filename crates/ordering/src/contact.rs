//! The contact phone of an order: what the restaurant calls about a pickup or a delivery, and
//! what a promo code limited per customer is counted by — a guest session or a customer account
//! costs nothing to make again, a phone number does.
//!
//! Numbers are given internationally (`+966 50 123 4567`, spaces, dashes and brackets allowed)
//! and checked against libphonenumber's numbering plans (the `phonenumber` crate), so one
//! number written two ways is stored, and counted, as the same E.164 string.

use phonenumber::Mode;
use platform::error::{Error, Result};

/// The field a phone is refused under.
pub const FIELD: &str = "contactPhone";

/// `raw` as E.164 (`+966501234567`), or a 422 naming [`FIELD`].
pub fn normalise(raw: &str) -> Result<String> {
    let raw = raw.trim();
    let refused = || {
        Error::invalid(
            FIELD,
            "give a phone number in international form, starting with + and the country code \
             (e.g. +966 50 123 4567)",
        )
    };
    if !raw.starts_with('+') {
        return Err(refused());
    }
    let number = phonenumber::parse(None, raw).map_err(|_| refused())?;
    if !phonenumber::is_valid(&number) {
        return Err(Error::invalid(
            FIELD,
            "this is not a phone number in use in its country; check the digits",
        ));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn one_number_written_two_ways_is_one_number() {
        assert_eq!(normalise("+966 50 123 4567").unwrap(), "+966501234567");
        assert_eq!(normalise("+966501234567").unwrap(), "+966501234567");
        assert_eq!(normalise(" +971 (50) 123-4567 ").unwrap(), "+971501234567");
    }

    #[test]
    fn local_short_and_made_up_numbers_are_refused() {
        for raw in ["0501234567", "+966 12", "+999 1234 5678", "call me", "+"] {
            assert!(normalise(raw).is_err(), "{raw}");
        }
    }
}
