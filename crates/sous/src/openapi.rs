//! The error half of the OpenAPI document. The shared extractors and middleware answer the same
//! errors on every route that uses them, so those answers are added here from what each
//! operation takes rather than listed by every handler:
//! - a bearer requirement → 401 (missing, invalid or expired token, revoked session) and 403 (a
//!   principal the route does not admit);
//! - path parameters → 400 (an unparsable id) and 404;
//! - query parameters → 400 (an unparsable value);
//! - a request body → 400 (unreadable or malformed), 413 (over the body limit) and 415 (another
//!   content type); a JSON body → 422 too (a wrong shape or a failed validation);
//! - every operation → 503 (the request timeout).
//!
//! Statuses a handler answers for reasons of its own (409, 422 on a query, 428, 429…) stay in
//! its annotation. Every error answer is `application/problem+json` with the `Problem` schema.
//!
//! The one text rule of `platform::text` (no control characters) is stated here too, once, on
//! every string a request can carry, rather than on each field.

use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    path::{Operation, ParameterIn, PathItem},
};

pub const PROBLEM: &str = "application/problem+json";

/// Adds the standard error answers to every operation of `spec` and states every error answer
/// as problem+json.
pub fn add_error_responses(spec: &mut OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for op in operations(item) {
            document(op);
        }
    }
}

/// Adds `platform::text::ALLOWED_PATTERN` to every string of a request (parameters, bodies and
/// the schemas they refer to) that has no pattern, format or fixed values of its own, and to the
/// names of free-form objects' keys: the extractors refuse a control character in any of them.
/// Request types that take a flattened part (`#[serde(flatten)]`) and refuse unknown fields.
/// utoipa states them as `allOf` of the parts, each open to any other key; the server takes
/// only the fields of the parts together, which is one object with exactly those properties.
const CLOSED_FLATTENED: [&str; 2] = ["LineRequest", "PriceRequest"];

/// Makes each of [`CLOSED_FLATTENED`] one closed object: the parts' properties and required
/// fields, and no other key.
pub fn close_flattened(doc: &mut serde_json::Value) {
    use serde_json::{Map, Value};
    for name in CLOSED_FLATTENED {
        let Some(parts) = doc["components"]["schemas"][name]["allOf"]
            .as_array()
            .cloned()
        else {
            continue;
        };
        let mut properties = Map::new();
        let mut required: Vec<Value> = vec![];
        for part in &parts {
            let part = match part["$ref"].as_str() {
                Some(r) => doc["components"]["schemas"]
                    [r.trim_start_matches("#/components/schemas/")]
                .clone(),
                None => part.clone(),
            };
            if let Some(p) = part["properties"].as_object() {
                properties.extend(p.clone());
            }
            if let Some(r) = part["required"].as_array() {
                required.extend(r.iter().cloned());
            }
        }
        doc["components"]["schemas"][name] = serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        });
    }
}

/// It works on the serialised document: utoipa's types have no place for `propertyNames`.
pub fn describe_text(doc: &mut serde_json::Value) {
    let mut pending: Vec<String> = vec![];
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                // A parameter is left out or has a value: never `null` (a header or query
                // value `null` would be the text "null").
                if let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
                    for p in params {
                        let ty = p.get_mut("schema").and_then(|s| s.get_mut("type"));
                        if let Some(ty) = ty
                            && let Some(types) = ty.as_array_mut()
                        {
                            types.retain(|t| t != "null");
                            if types.len() == 1 {
                                *ty = types[0].clone();
                            }
                        }
                    }
                }
                for part in ["parameters", "requestBody"] {
                    if let Some(v) = op.get_mut(part) {
                        add_text_pattern(v, &mut pending);
                    }
                }
            }
        }
    }
    let mut done = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = doc["components"]["schemas"].get_mut(&name) {
            add_text_pattern(schema, &mut pending);
        }
    }
}

fn add_text_pattern(v: &mut serde_json::Value, refs: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                refs.push(name.to_string());
            }
            let is = |t: &str| match map.get("type") {
                Some(Value::String(s)) => s == t,
                Some(Value::Array(types)) => types.iter().any(|x| x == t),
                _ => false,
            };
            let fixed = ["pattern", "format", "enum", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            let (string, object) = (is("string"), is("object"));
            if string && !fixed {
                map.insert("pattern".into(), platform::text::ALLOWED_PATTERN.into());
            }
            let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
            if object && !closed && !map.contains_key("propertyNames") {
                map.insert(
                    "propertyNames".into(),
                    serde_json::json!({ "pattern": platform::text::ALLOWED_PATTERN }),
                );
            }
            for (key, child) in map.iter_mut() {
                // Examples are values, not schemas.
                if key != "example" && key != "examples" && key != "default" {
                    add_text_pattern(child, refs);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                add_text_pattern(item, refs);
            }
        }
        _ => {}
    }
}

/// The operations of a path, whatever their method.
pub fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn requires_bearer(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| {
        reqs.iter().any(|r| {
            serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        })
    })
}

/// The statuses an operation can answer because of what it takes.
fn standard_statuses(op: &Operation) -> Vec<u16> {
    let mut statuses = vec![503];
    if requires_bearer(op) {
        statuses.extend([401, 403]);
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    // A control character in a path or query parameter is a 422 naming it (`platform::text`).
    if params.iter().any(|p| p.parameter_in == ParameterIn::Path) {
        statuses.extend([400, 404, 422]);
    }
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        statuses.extend([400, 422]);
    }
    // A branch named in the query goes through the branch-scope extractor: another brand's
    // branch, or one that does not exist, is a 404.
    if params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query && p.name == "branchId")
    {
        statuses.push(404);
    }
    // Headers the handlers read (`Idempotency-Key`, `If-Match`, `X-Sous-Session`) are checked
    // like fields: a malformed one is a 422 naming it.
    if params.iter().any(|p| p.parameter_in == ParameterIn::Header) {
        statuses.push(422);
    }
    if let Some(body) = &op.request_body {
        statuses.extend([400, 413, 415]);
        if body.content.keys().any(|k| k.contains("json")) {
            statuses.push(422);
        }
    }
    statuses
}

fn problem_response(status: u16) -> RefOr<utoipa::openapi::Response> {
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    ResponseBuilder::new()
        .description(reason)
        .content(
            PROBLEM,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn document(op: &mut Operation) {
    for status in standard_statuses(op) {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_response(status));
    }
    // Error answers declared with `body = Problem` come out as `application/json`; the server
    // sends them as `application/problem+json`.
    for (status, response) in op.responses.responses.iter_mut() {
        let error = status.starts_with('4') || status.starts_with('5');
        let RefOr::T(response) = response else {
            continue;
        };
        if !error {
            continue;
        }
        if let Some(content) = response.content.shift_remove("application/json") {
            let is_problem = matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
            let key = if is_problem {
                PROBLEM
            } else {
                "application/json"
            };
            response.content.insert(key.to_string(), content);
        }
        if response.description.is_empty() {
            response.description = axum::http::StatusCode::from_u16(status.parse().unwrap_or(500))
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error")
                .to_string();
        }
    }
}
