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
    if params.iter().any(|p| p.parameter_in == ParameterIn::Path) {
        statuses.extend([400, 404]);
    }
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        statuses.push(400);
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
