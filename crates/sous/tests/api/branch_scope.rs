//! Every route that takes a branch id answers another brand's branch exactly as an unknown
//! one. The routes are read from the OpenAPI document, so a new route is walked as well.

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::spawn_app;

/// Whether an operation takes a branch id in its path or query.
fn takes_branch(op: &Value) -> bool {
    op["parameters"].as_array().is_some_and(|params| {
        params.iter().any(|p| {
            let name = p["name"].as_str().unwrap_or("");
            match p["in"].as_str() {
                Some("path") => name == "branch_id" || name == "branchId",
                _ => name == "branchId",
            }
        })
    })
}

/// The operation's path with `branch` for the branch id (path or query) and fresh UUIDs for
/// every other path parameter (`orders` for an SSE channel).
fn url_for(path: &str, op: &Value, branch: Uuid) -> String {
    let mut url = String::new();
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            url.push('/');
        }
        url.push_str(&match segment {
            "{branch_id}" | "{branchId}" => branch.to_string(),
            "{channel}" => "orders".into(),
            s if s.starts_with('{') => Uuid::new_v4().to_string(),
            s => s.into(),
        });
    }
    // A `branchId` that is not in the path goes in the query (whatever the spec says it is).
    let named = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "branchId");
    if named && !path.contains("{branchId}") {
        url.push_str(&format!("?branchId={branch}"));
    }
    url
}

#[tokio::test]
async fn every_route_taking_a_branch_id_answers_another_brands_branch_as_unknown() {
    let app = spawn_app().await;
    let (intruder, _, _) = app.other_tenant("intruder").await;
    let spec = serde_json::to_value(sous::app::api().1).unwrap();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    // Status and problem code of one request; an answer that is not an error is not read
    // (an event stream would never end).
    let answer = |method: Method, url: String| {
        let client = client.clone();
        let token = intruder.clone();
        async move {
            let mut req = client.request(method.clone(), &url).bearer_auth(&token);
            if method == Method::POST || method == Method::PUT || method == Method::PATCH {
                req = req.json(&serde_json::json!({}));
            }
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            if status < 400 {
                return (status, String::new());
            }
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body["code"].as_str().unwrap_or("").to_string())
        }
    };

    let mut walked = Vec::new();
    let mut wrong = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            // Public routes (a branch's menu) show any brand's branch to anyone, by design.
            if !takes_branch(op) || op.get("security").is_none() {
                continue;
            }
            let demo = answer(
                method.clone(),
                format!("{}{}", app.base, url_for(path, op, app.demo.riyadh)),
            )
            .await;
            let unknown = answer(
                method.clone(),
                format!("{}{}", app.base, url_for(path, op, Uuid::new_v4())),
            )
            .await;
            walked.push(format!("{method} {path}"));
            if demo.0 != 404 || demo != unknown {
                wrong.push(format!(
                    "{method} {path}: another brand's branch → {demo:?}, an unknown one → {unknown:?}"
                ));
            }
        }
    }
    assert!(
        walked.len() >= 30,
        "the walk found the branch routes: {walked:?}"
    );
    assert!(
        wrong.is_empty(),
        "answered differently from an unknown id:\n{}",
        wrong.join("\n")
    );
}

/// The same check keeps branch scope: a manager of one branch is refused another branch of
/// the brand (403), and still reaches their own.
#[tokio::test]
async fn branch_scoped_staff_stay_in_their_branch() {
    let app = spawn_app().await;
    let manager = app.token(platform::auth::Role::Manager).await;
    let own = app
        .get(
            &format!("/api/branches/{}/dining-tables", app.demo.riyadh),
            &manager,
        )
        .await;
    assert_eq!(own.status, 200);
    let other = app
        .get(
            &format!("/api/branches/{}/dining-tables", app.demo.dubai),
            &manager,
        )
        .await;
    assert_eq!(other.status, 403);
}
