//! The OpenAPI document says what the server does: the statuses the shared extractors and
//! middleware answer, as problem+json, and parameters where they are read. The API fuzz
//! (`scripts/api-fuzz.sh`) checks the same against a running server; these catch at once what
//! it finds only by chance.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{openapi, operations};

fn statuses(op: &Value) -> BTreeSet<String> {
    op["responses"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default()
}

fn params<'a>(op: &'a Value, location: &str) -> Vec<&'a str> {
    op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == location)
                .filter_map(|p| p["name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn path_parameters_are_the_path_templates() {
    let spec = openapi();
    let mut wrong = vec![];
    for (method, path, op) in operations(&spec) {
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: BTreeSet<&str> = params(&op, "path").into_iter().collect();
        if template != declared {
            wrong.push(format!("{method} {path}: declares {declared:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "path parameters that are not the path's: {wrong:#?}"
    );
}

#[test]
fn every_operation_documents_what_the_shared_parts_answer() {
    let spec = openapi();
    let mut missing = vec![];
    for (method, path, op) in operations(&spec) {
        let has = statuses(&op);
        let mut want = vec!["503"];
        if op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        }) {
            want.extend(["401", "403"]);
        }
        if !params(&op, "path").is_empty() {
            want.extend(["400", "404"]);
        }
        if !params(&op, "query").is_empty() {
            want.push("400");
        }
        if let Some(content) = op["requestBody"]["content"].as_object() {
            want.extend(["400", "413", "415"]);
            if content.keys().any(|k| k.contains("json")) {
                want.push("422");
            }
        }
        for status in want {
            if !has.contains(status) {
                missing.push(format!("{method} {path}: {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented answers: {missing:#?}");
}

#[test]
fn error_answers_are_problem_json() {
    let spec = openapi();
    let mut wrong = vec![];
    for (method, path, op) in operations(&spec) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if !(status.starts_with('4') || status.starts_with('5')) || path == "/api/health" {
                continue;
            }
            let content = response["content"].as_object();
            let problem = content.and_then(|c| c.get("application/problem+json"));
            let schema = problem.map(|p| p["schema"]["$ref"].as_str().unwrap_or(""));
            if schema != Some("#/components/schemas/Problem") || content.unwrap().len() != 1 {
                wrong.push(format!(
                    "{method} {path} {status}: {:?}",
                    response["content"]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "error answers that are not problem+json: {wrong:#?}"
    );
}
