//! The API contract as the OpenAPI document states it: one JSON casing, camelCase.

use serde_json::Value;

fn spec() -> Value {
    serde_json::to_value(sous::app::api().1).expect("the OpenAPI document serialises")
}

fn is_camel_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Every property name of every schema (named or inline, request or response) and every query
/// parameter, with where it was found.
fn names(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().map(|k| (k.clone(), at.to_string())));
            }
            if map.get("in").and_then(Value::as_str) == Some("query")
                && let Some(name) = map.get("name").and_then(Value::as_str)
            {
                out.push((name.to_string(), at.to_string()));
            }
            for (k, child) in map {
                names(child, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                names(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_json_name_in_the_openapi_document_is_camel_case() {
    let mut found = Vec::new();
    names(&spec(), "", &mut found);
    assert!(found.len() > 100, "the walk found the schemas' properties");
    let bad: Vec<String> = found
        .into_iter()
        .filter(|(name, _)| !is_camel_case(name))
        .map(|(name, at)| format!("{name} at {at}"))
        .collect();
    assert!(
        bad.is_empty(),
        "names that are not camelCase:\n{}",
        bad.join("\n")
    );
}
