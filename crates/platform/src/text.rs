//! The one rule for text the API accepts: no control characters except tab, line feed and
//! carriage return. PostgreSQL cannot store NUL in `text` or `jsonb`, and a receipt printer takes
//! the others (ESC, the C1 range) as commands, so they are refused where a request is read (JSON
//! bodies with their object keys, forms, query and path parameters) with a 422 naming the field.

use serde_json::Value;

use crate::error::Error;

/// The message a refused field gets.
pub const CONTROL_MESSAGE: &str =
    "must not contain control characters (tab and line breaks are the only ones allowed)";

/// The same rule as a JSON Schema pattern, for the OpenAPI document: a client (or a fuzzer)
/// reading it knows which text the server will take. The ranges are [`is_forbidden`]'s.
pub const ALLOWED_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// A character no text field may hold: C0 (but tab, LF and CR), DEL and C1.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The text holds a character no field may hold.
pub fn has_forbidden(s: &str) -> bool {
    s.chars().any(is_forbidden)
}

/// Whether a JSON document's bytes may hold a forbidden character, in one cheap pass. A raw C0
/// character inside a string is not JSON (the parser refuses it), so a forbidden character
/// arrives as a `\u` escape, a raw DEL, or a raw C1 character (UTF-8 `C2 80`–`C2 9F`). A false
/// alarm (`\u` for an allowed character) only costs the full walk.
pub fn may_hold_forbidden(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| match b {
        0x7f => true,
        b'\\' => bytes.get(i + 1) == Some(&b'u'),
        0xc2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
        _ => false,
    })
}

/// The JSON path (`lines[0].note`, as validation errors name fields) of the first string or
/// object key holding a forbidden character; a bad key is named by the object that holds it.
pub fn find_forbidden(v: &Value) -> Option<String> {
    let mut path = String::new();
    walk(v, &mut path).then(|| if path.is_empty() { "body".into() } else { path })
}

fn walk(v: &Value, path: &mut String) -> bool {
    match v {
        Value::String(s) => has_forbidden(s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .any(|(i, item)| within(path, |p| p.push_str(&format!("[{i}]")), item)),
        Value::Object(map) => {
            map.keys().any(|k| has_forbidden(k))
                || map.iter().any(|(k, item)| {
                    let step = |p: &mut String| {
                        if !p.is_empty() {
                            p.push('.');
                        }
                        p.push_str(k);
                    };
                    within(path, step, item)
                })
        }
        _ => false,
    }
}

/// Walks `item` with `step` added to the path, which keeps the step only if something was found.
fn within(path: &mut String, step: impl FnOnce(&mut String), item: &Value) -> bool {
    let len = path.len();
    step(path);
    let found = walk(item, path);
    if !found {
        path.truncate(len);
    }
    found
}

/// The first name or value of decoded `application/x-www-form-urlencoded` pairs (a query string,
/// a form body, path parameters) holding a forbidden character: the name of its field, or
/// `fallback` when the name itself is bad.
pub fn find_forbidden_pair<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    fallback: &'a str,
) -> Option<&'a str> {
    pairs.into_iter().find_map(|(k, v)| {
        if has_forbidden(k) {
            Some(fallback)
        } else if has_forbidden(v) {
            Some(k)
        } else {
            None
        }
    })
}

/// A 422 naming the field that holds a forbidden character.
pub fn refused(field: &str) -> Error {
    Error::invalid(field, CONTROL_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_are_not() {
        for bad in ["a\0b", "\u{1b}@", "x\u{7f}", "\u{85}", "\u{9b}", "\u{0c}"] {
            assert!(has_forbidden(bad), "{bad:?}");
        }
        for good in [
            "Table 12",
            "line one\nline two\r\n\tindented",
            "شاورما",
            "🍔",
            "",
        ] {
            assert!(!has_forbidden(good), "{good:?}");
        }
    }

    #[test]
    fn the_walk_names_the_json_path() {
        let v = json!({ "name": "ok", "lines": [{ "note": "fine" }, { "note": "a\u{0}b" }] });
        assert_eq!(find_forbidden(&v).as_deref(), Some("lines[1].note"));
        let v = json!({ "hours": { "mo\u{0}n": [] } });
        assert_eq!(find_forbidden(&v).as_deref(), Some("hours"));
        let v = json!({ "a": { "b": [[1, "\u{1b}"]] } });
        assert_eq!(find_forbidden(&v).as_deref(), Some("a.b[0][1]"));
        assert_eq!(find_forbidden(&json!("\u{1b}")).as_deref(), Some("body"));
        assert_eq!(
            find_forbidden(&json!({ "a": [1, "b\t\n", { "c": null }] })),
            None
        );
    }

    #[test]
    fn the_byte_scan_sees_every_way_a_forbidden_character_arrives() {
        assert!(may_hold_forbidden(br#"{"a":"\u0000"}"#));
        assert!(may_hold_forbidden(br#"{"a\u001b":1}"#));
        assert!(may_hold_forbidden("{\"a\":\"\u{7f}\"}".as_bytes()));
        assert!(may_hold_forbidden("{\"a\":\"\u{85}\"}".as_bytes()));
        assert!(may_hold_forbidden(b"\x7f"));
        let plain = "{\"a\":\"plain, \\\"quoted\\\", \\n, ع, 🍔\"}";
        assert!(!may_hold_forbidden(plain.as_bytes()));
    }

    #[test]
    fn pairs_name_the_field_or_the_fallback() {
        assert_eq!(
            find_forbidden_pair([("q", "ok"), ("lang", "e\0n")], "query"),
            Some("lang")
        );
        assert_eq!(
            find_forbidden_pair([("q\u{1b}", "ok")], "query"),
            Some("query")
        );
        assert_eq!(find_forbidden_pair([("q", "two\twords\n")], "query"), None);
    }
}
