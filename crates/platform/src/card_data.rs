//! Spotting card numbers where none may be. sous never takes card data — terminals and hosted
//! pages keep it — so a primary account number (PAN) showing up in a request, a log line or a
//! table is a bug or misuse to refuse, not data to handle. Requests carrying one are refused
//! with this check, and a test scans logs and tables with it.
//!
//! A candidate is 13–19 digits, written contiguously or in groups separated by single spaces or
//! dashes (`4111 1111 1111 1111`, `3782-822463-10005`), that passes the Luhn check. To keep
//! ordinary data from tripping it, digits glued to letters, `_` or a leading `+` (identifiers,
//! hex hashes, phone numbers) and anything shaped like a UUID are not candidates, and neither
//! are numbers starting with 0, 1 or 7 — prefixes no payment card network issues under, and the
//! leading digit of zero-padded references and millisecond timestamps.

/// Card data never touches sous: a request whose body or query carries something that looks
/// like a card number is refused before any handler sees it, and its body is not logged. The
/// contexts that take orders and payments put this in front of every route of theirs.
pub async fn refuse_card_data(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> crate::error::Result<axum::response::Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, crate::http::MAX_BODY_BYTES)
        .await
        .map_err(|_| crate::error::Error::PayloadTooLarge)?;
    let query = parts.uri.query().unwrap_or_default();
    if contains_card_number(&String::from_utf8_lossy(&bytes)) || contains_card_number(query) {
        tracing::warn!(path = %parts.uri.path(), "refused a request carrying card data");
        return Err(crate::error::Error::invalid(
            "body",
            "card numbers are never accepted: card payments go through the terminal or the \
             online provider",
        ));
    }
    Ok(next
        .run(axum::extract::Request::from_parts(
            parts,
            axum::body::Body::from(bytes),
        ))
        .await)
}

/// Whether `text` holds something that looks like a card number. See the module docs for what
/// counts.
pub fn contains_card_number(text: &str) -> bool {
    let mut chars: Vec<char> = text.chars().collect();
    mask_uuids(&mut chars);

    let mut chain: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(first) = digit(chars[i]) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut group = vec![first];
        i += 1;
        while let Some(d) = chars.get(i).copied().and_then(digit) {
            group.push(d);
            i += 1;
        }
        let before = start.checked_sub(1).map(|p| chars[p]);
        let after = chars.get(i).copied();
        let usable = !before.is_some_and(|c| glued(c) || c == '+') && !after.is_some_and(glued);
        let joined = usable
            && !chain.is_empty()
            && start >= 2
            && is_separator(chars[start - 1])
            && digit(chars[start - 2]).is_some();

        if !joined && chain_has_card(&chain) {
            return true;
        }
        if !joined {
            chain.clear();
        }
        if usable {
            chain.push(group);
        }
    }
    chain_has_card(&chain)
}

/// The Luhn (mod 10) check over a string of ASCII digits; `false` for anything else, including
/// the empty string and digits with separators.
pub fn luhn_valid(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let values: Vec<u8> = bytes.iter().map(|b| b - b'0').collect();
    luhn(&values)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Any run of consecutive groups in `chain` that adds up to a plausible card number, so a PAN
/// still counts when written after other digits ("table 12 4111 1111 1111 1111").
fn chain_has_card(chain: &[Vec<u8>]) -> bool {
    (0..chain.len()).any(|from| {
        let mut digits: Vec<u8> = Vec::new();
        chain[from..].iter().any(|group| {
            digits.extend_from_slice(group);
            (13..=19).contains(&digits.len()) && matches!(digits[0], 2..=6 | 8 | 9) && luhn(&digits)
        })
    })
}

/// ASCII digits plus the Arabic-Indic and Eastern Arabic-Indic ones, which an Arabic keyboard
/// types and a guest could enter a card number with.
fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((u32::from(c) - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((u32::from(c) - 0x06F0) as u8),
        _ => None,
    }
}

/// Characters that make adjacent digits part of a word or identifier rather than a number.
fn glued(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_separator(c: char) -> bool {
    c == ' ' || c == '-'
}

/// Replaces every UUID (8-4-4-4-12 hex) with letters: an all-digit stretch of one has card-like
/// groups and would pass Luhn one time in ten, while no card number has that shape.
fn mask_uuids(chars: &mut [char]) {
    const LEN: usize = 36;
    let mut i = 0;
    while i + LEN <= chars.len() {
        let boundary_before = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let boundary_after = chars
            .get(i + LEN)
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let shaped = chars[i..i + LEN].iter().enumerate().all(|(k, c)| match k {
            8 | 13 | 18 | 23 => *c == '-',
            _ => c.is_ascii_hexdigit(),
        });
        if boundary_before && boundary_after && shaped {
            chars[i..i + LEN].fill('x');
            i += LEN;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    const TEST_PANS: [&str; 3] = ["4111111111111111", "5500000000000004", "378282246310005"];

    #[test]
    fn luhn_accepts_test_cards_and_rejects_others() {
        for pan in TEST_PANS {
            assert!(luhn_valid(pan), "{pan}");
        }
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4111 1111 1111 1111"));
        assert!(!luhn_valid("4111-1111"));
    }

    #[test]
    fn finds_card_numbers_however_they_are_written() {
        for text in [
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "378282246310005",
            "3782 822463 10005",
            r#"{"note":"card 4111111111111111 exp 12/29"}"#,
            "pay with 5500 0000 0000 0004 please",
            "table 12 4111 1111 1111 1111",
            "pan=4111111111111111&cvv=123",
            "٤١١١ ١١١١ ١١١١ ١١١١",
            "۴۱۱۱۱۱۱۱۱۱۱۱۱۱۱۱",
        ] {
            assert!(contains_card_number(text), "missed {text:?}");
        }
    }

    #[test]
    fn leaves_ordinary_numbers_alone() {
        for text in [
            "",
            "no digits here",
            "order #10234, table 7",
            "ORD-2024-000123",
            "+966501234567",
            "+966 50 123 4567",
            "call 0501234567",
            "4111111111111112",
            "4111 1111 1111 1112",
            "total 1234.56 SAR",
            "2025-06-01 12:30:45",
            "1760000000123",
            "41111111-1111-1111-1111-111111111111",
            "550e8400-e29b-41d4-a716-446655440000",
            "simterm_4111111111111111",
            "evt4111111111111111",
            "41111111111111110000",
        ] {
            assert!(!contains_card_number(text), "false positive on {text:?}");
        }
    }

    #[test]
    fn uuids_never_look_like_cards() {
        for _ in 0..2000 {
            for id in [Uuid::new_v4(), Uuid::now_v7()] {
                let text = format!("payment {id} for order {}", id.simple());
                assert!(!contains_card_number(&text), "false positive on {text}");
            }
        }
    }
}
