//! ZATCA (Saudi e-invoicing) phase 1 QR code for simplified tax invoices, i.e. receipts.
//!
//! The QR carries five TLV fields, base64-encoded (standard alphabet, with padding):
//!
//! | tag | value |
//! | --- | --- |
//! | 1 | seller name |
//! | 2 | seller VAT registration number |
//! | 3 | invoice timestamp, ISO 8601 UTC to the second (`2026-11-25T14:30:00Z`) |
//! | 4 | invoice total including VAT (`"23.00"`) |
//! | 5 | VAT total (`"3.00"`) |
//!
//! Each field is one tag byte, one length byte and the UTF-8 value. The length counts UTF-8
//! **bytes**, not characters: an Arabic seller name takes two bytes per letter, so a name of 128
//! Arabic letters is already too long for the one-byte length and is refused.
//!
//! Amounts are given in halalas and printed with exactly two decimals. ZATCA invoices are in SAR,
//! whose minor unit is 2, so the two decimals are the format's rule, not an assumption about the
//! tenant's currency; [`format_minor_units`] takes the decimals for other uses.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Decimals of the SAR amounts in the QR (halalas → riyals).
pub const SAR_DECIMALS: u8 = 2;

/// Why a payload could not be built, decoded or drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZatcaError {
    #[error("TLV field {tag} is {len} bytes long; at most 255 fit its length byte")]
    FieldTooLong { tag: u8, len: usize },
    #[error("amount for TLV field {tag} is negative: {amount}")]
    NegativeAmount { tag: u8, amount: i64 },
    #[error("payload is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("TLV data ends inside the field starting at byte {offset}")]
    Truncated { offset: usize },
    #[error("TLV field {tag} is not valid UTF-8")]
    NotUtf8 { tag: u8 },
    #[error("payload does not fit in a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
}

/// The base64 QR payload of a simplified tax invoice. Amounts are in halalas.
pub fn qr_payload(
    seller_name: &str,
    vat_number: &str,
    timestamp: DateTime<Utc>,
    total_with_vat: i64,
    vat_total: i64,
) -> Result<String, ZatcaError> {
    let timestamp = timestamp.to_rfc3339_opts(SecondsFormat::Secs, true);
    let total = sar_amount(4, total_with_vat)?;
    let vat = sar_amount(5, vat_total)?;
    let fields: [(u8, &str); 5] = [
        (1, seller_name),
        (2, vat_number),
        (3, &timestamp),
        (4, &total),
        (5, &vat),
    ];
    let mut tlv = Vec::new();
    for (tag, value) in fields {
        let bytes = value.as_bytes();
        let len = u8::try_from(bytes.len()).map_err(|_| ZatcaError::FieldTooLong {
            tag,
            len: bytes.len(),
        })?;
        tlv.push(tag);
        tlv.push(len);
        tlv.extend_from_slice(bytes);
    }
    Ok(STANDARD.encode(tlv))
}

/// The (tag, value) fields of a payload, in order — for verifying a printed receipt.
pub fn decode(payload: &str) -> Result<Vec<(u8, String)>, ZatcaError> {
    let bytes = STANDARD.decode(payload.trim())?;
    let mut fields = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let [tag, len] = *bytes
            .get(offset..offset + 2)
            .and_then(|h| <&[u8; 2]>::try_from(h).ok())
            .ok_or(ZatcaError::Truncated { offset })?;
        let start = offset + 2;
        let value = bytes
            .get(start..start + usize::from(len))
            .ok_or(ZatcaError::Truncated { offset })?;
        let value = String::from_utf8(value.to_vec()).map_err(|_| ZatcaError::NotUtf8 { tag })?;
        fields.push((tag, value));
        offset = start + usize::from(len);
    }
    Ok(fields)
}

/// The payload drawn as an inline `<svg>` element for an HTML receipt.
///
/// Error correction M: receipts are printed on thermal paper and get creased, while the payload
/// (at most about 1.7 KB of base64) still fits comfortably. The renderer's XML declaration is
/// dropped because it has no place inside an HTML document.
pub fn qr_svg(payload: &str) -> Result<String, ZatcaError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(160, 160)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    })
}

/// `amount` minor units as a decimal string with exactly `decimals` decimals
/// (`2300, 2` → `"23.00"`, `-5, 2` → `"-0.05"`, `7, 0` → `"7"`).
pub fn format_minor_units(amount: i64, decimals: u8) -> String {
    let digits = amount.unsigned_abs().to_string();
    let decimals = usize::from(decimals);
    // Left-pad so there is at least one digit before the point.
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let sign = if amount < 0 { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// A QR amount; refunds are separate credit notes, so an invoice amount is never negative.
fn sar_amount(tag: u8, amount: i64) -> Result<String, ZatcaError> {
    if amount < 0 {
        return Err(ZatcaError::NegativeAmount { tag, amount });
    }
    Ok(format_minor_units(amount, SAR_DECIMALS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn field(tag: u8, value: &str) -> Vec<u8> {
        let mut out = vec![tag, u8::try_from(value.len()).unwrap()];
        out.extend_from_slice(value.as_bytes());
        out
    }

    #[test]
    fn arabic_seller_round_trips_with_byte_lengths() {
        let seller = "مطعم سوس";
        let payload = qr_payload(
            seller,
            "300000000000003",
            at(2026, 11, 25, 14, 30),
            2300,
            300,
        )
        .unwrap();
        let raw = STANDARD.decode(&payload).unwrap();
        assert_eq!(raw[0], 1);
        // 7 Arabic letters × 2 bytes + 1 space = 15 bytes for 8 characters.
        assert_eq!(raw[1], 15);
        assert_eq!(seller.chars().count(), 8);
        assert_eq!(
            decode(&payload).unwrap(),
            vec![
                (1, seller.to_owned()),
                (2, "300000000000003".to_owned()),
                (3, "2026-11-25T14:30:00Z".to_owned()),
                (4, "23.00".to_owned()),
                (5, "3.00".to_owned()),
            ]
        );
    }

    #[test]
    fn known_vector_matches_hand_built_bytes() {
        let payload = qr_payload(
            "Bobs Records",
            "310122393500003",
            at(2022, 4, 25, 15, 30),
            100_000,
            15_000,
        )
        .unwrap();
        let expected: Vec<u8> = [
            field(1, "Bobs Records"),
            field(2, "310122393500003"),
            field(3, "2022-04-25T15:30:00Z"),
            field(4, "1000.00"),
            field(5, "150.00"),
        ]
        .concat();
        assert_eq!(&expected[..3], &[1, 12, b'B']);
        assert_eq!(STANDARD.decode(&payload).unwrap(), expected);
        // The same vector as published in ZATCA's phase 1 examples.
        assert_eq!(
            payload,
            "AQxCb2JzIFJlY29yZHMCDzMxMDEyMjM5MzUwMDAwMwMUMjAyMi0wNC0yNVQxNTozMDowMFoEBzEwMDAuMDAFBjE1MC4wMA=="
        );
    }

    #[test]
    fn timestamp_drops_subseconds() {
        let ts = at(2026, 1, 2, 3, 4) + chrono::Duration::milliseconds(987);
        let payload = qr_payload("S", "3", ts, 0, 0).unwrap();
        assert_eq!(decode(&payload).unwrap()[2].1, "2026-01-02T03:04:00Z");
    }

    #[test]
    fn amounts_have_exactly_two_decimals() {
        for (minor, text) in [
            (2300, "23.00"),
            (5, "0.05"),
            (0, "0.00"),
            (10, "0.10"),
            (123_456_789, "1234567.89"),
        ] {
            assert_eq!(format_minor_units(minor, SAR_DECIMALS), text);
        }
        assert_eq!(format_minor_units(-5, 2), "-0.05");
        assert_eq!(format_minor_units(1234, 3), "1.234");
        assert_eq!(format_minor_units(7, 0), "7");
        assert_eq!(format_minor_units(i64::MIN, 2), "-92233720368547758.08");
    }

    #[test]
    fn values_over_255_bytes_are_refused() {
        // 128 Arabic letters: 128 characters but 256 bytes.
        let long = "س".repeat(128);
        let err = qr_payload(&long, "3", at(2026, 1, 1, 0, 0), 1, 0).unwrap_err();
        assert_eq!(err, ZatcaError::FieldTooLong { tag: 1, len: 256 });
        let err = qr_payload("S", &"3".repeat(256), at(2026, 1, 1, 0, 0), 1, 0).unwrap_err();
        assert_eq!(err, ZatcaError::FieldTooLong { tag: 2, len: 256 });
        // Exactly 255 bytes still fits.
        let max = "a".repeat(255);
        let payload = qr_payload(&max, "3", at(2026, 1, 1, 0, 0), 1, 0).unwrap();
        assert_eq!(decode(&payload).unwrap()[0].1, max);
    }

    #[test]
    fn negative_amounts_are_refused() {
        let err = qr_payload("S", "3", at(2026, 1, 1, 0, 0), 100, -1).unwrap_err();
        assert_eq!(err, ZatcaError::NegativeAmount { tag: 5, amount: -1 });
    }

    #[test]
    fn decode_rejects_malformed_payloads() {
        assert!(matches!(decode("not base64!"), Err(ZatcaError::Base64(_))));
        // Header says 5 bytes, only 2 follow.
        let short = STANDARD.encode([1, 5, b'a', b'b']);
        assert_eq!(decode(&short), Err(ZatcaError::Truncated { offset: 0 }));
        // A lone tag byte after a complete field.
        let dangling = STANDARD.encode([1, 1, b'a', 2]);
        assert_eq!(decode(&dangling), Err(ZatcaError::Truncated { offset: 3 }));
        let bad_utf8 = STANDARD.encode([1, 1, 0xff]);
        assert_eq!(decode(&bad_utf8), Err(ZatcaError::NotUtf8 { tag: 1 }));
        assert_eq!(decode(""), Ok(vec![]));
    }

    #[test]
    fn svg_is_an_inline_svg_element() {
        let payload = qr_payload(
            "مطعم سوس",
            "300000000000003",
            at(2026, 11, 25, 14, 30),
            2300,
            300,
        )
        .unwrap();
        let svg = qr_svg(&payload).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<path"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn largest_possible_payload_still_draws() {
        let name = "س".repeat(127);
        let vat = "3".repeat(255);
        let payload = qr_payload(&name, &vat, at(2026, 1, 1, 0, 0), i64::MAX, i64::MAX).unwrap();
        assert!(qr_svg(&payload).is_ok());
    }
}
