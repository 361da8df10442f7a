//! Every protected route, called by every kind of principal: the roles it admits succeed, the
//! others get 403, no token gets 401; branch-scoped staff cannot act on another branch.

use platform::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, branch_body, find_item, id_of, key, line, menu, place, spawn_app};

const ALL: &[Role] = &Role::ALL;
const MANAGERS: &[Role] = &[Role::Owner, Role::Manager];
const OWNER: &[Role] = &[Role::Owner];
const STAFF: &[Role] = &[
    Role::Owner,
    Role::Manager,
    Role::Cashier,
    Role::Waiter,
    Role::Kitchen,
    Role::Driver,
];
/// Who may 86 an item: staff who handle food.
const FOOD_STAFF: &[Role] = &[
    Role::Owner,
    Role::Manager,
    Role::Cashier,
    Role::Waiter,
    Role::Kitchen,
];

struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    admits: &'static [Role],
}

async fn token_for(app: &TestApp, role: Role) -> String {
    match role {
        Role::Guest => app.guest_token(app.demo.riyadh).await,
        r => app.token(r).await,
    }
}

#[tokio::test]
async fn each_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (device, _) = app.device(riyadh, "pos").await;
    let staff_body = |role: Role| {
        json!({ "email": format!("new-{}@demo.test", role.as_str()), "password": "long-enough-pw",
                "displayName": "New", "role": "waiter", "branchId": riyadh })
    };
    let menu = menu(&app, riyadh).await;
    // An order to read and pay for (by the owner, who may take cash anywhere).
    let owner = app.owner().await;
    let order = place(
        &app,
        &owner,
        &key(),
        &json!({ "branchId": riyadh, "type": "takeaway",
                 "lines": [line(&menu, "Karak Tea", 1)] }),
    )
    .await
    .expect(201);
    let order_id = order["id"].as_str().unwrap().to_string();
    let burger = id_of(find_item(&menu, "Chicken Burger").unwrap());
    for role in ALL.iter().copied() {
        let token = token_for(&app, role).await;
        let routes = [
            Route {
                method: Method::GET,
                path: "/api/me".into(),
                body: None,
                admits: ALL,
            },
            Route {
                method: Method::GET,
                path: "/api/branches".into(),
                body: None,
                admits: ALL,
            },
            Route {
                method: Method::GET,
                path: format!("/api/branches/{riyadh}"),
                body: None,
                admits: ALL,
            },
            Route {
                method: Method::POST,
                path: "/api/branches".into(),
                body: Some(branch_body("New")),
                admits: OWNER,
            },
            Route {
                method: Method::PUT,
                path: format!("/api/branches/{riyadh}"),
                body: Some(branch_body("Olaya")),
                admits: MANAGERS,
            },
            Route {
                method: Method::POST,
                path: format!("/api/branches/{riyadh}/devices"),
                body: Some(json!({ "kind": "kds", "name": "Grill screen" })),
                admits: MANAGERS,
            },
            Route {
                method: Method::GET,
                path: format!("/api/branches/{riyadh}/devices"),
                body: None,
                admits: MANAGERS,
            },
            Route {
                method: Method::POST,
                path: format!("/api/devices/{device}/revoke"),
                body: Some(json!({})),
                admits: MANAGERS,
            },
            Route {
                method: Method::POST,
                path: "/api/staff".into(),
                body: Some(staff_body(role)),
                admits: MANAGERS,
            },
            Route {
                method: Method::GET,
                path: "/api/staff".into(),
                body: None,
                admits: MANAGERS,
            },
            Route {
                method: Method::GET,
                path: "/api/admin/tasks/stats".into(),
                body: None,
                admits: MANAGERS,
            },
            Route {
                method: Method::GET,
                path: "/api/admin/tasks/failed".into(),
                body: None,
                admits: MANAGERS,
            },
            Route {
                method: Method::POST,
                path: "/api/sse/tickets".into(),
                body: Some(json!({})),
                admits: ALL,
            },
            Route {
                method: Method::GET,
                path: "/api/catalog".into(),
                body: None,
                admits: MANAGERS,
            },
            Route {
                method: Method::GET,
                path: "/api/catalog/export".into(),
                body: None,
                admits: MANAGERS,
            },
            // Brand-wide: the demo manager is scoped to Riyadh, so only the owner.
            Route {
                method: Method::POST,
                path: "/api/catalog/menus".into(),
                body: Some(json!({ "name": "Specials" })),
                admits: OWNER,
            },
            Route {
                method: Method::GET,
                path: format!("/api/branches/{riyadh}/catalog/items"),
                body: None,
                admits: STAFF,
            },
            Route {
                method: Method::PUT,
                path: format!("/api/branches/{riyadh}/catalog/items/{burger}"),
                body: Some(json!({ "price": 3000 })),
                admits: MANAGERS,
            },
            Route {
                method: Method::POST,
                path: format!("/api/branches/{riyadh}/catalog/items/{burger}/sold-out"),
                body: Some(json!({})),
                admits: FOOD_STAFF,
            },
            Route {
                method: Method::DELETE,
                path: format!("/api/branches/{riyadh}/catalog/items/{burger}/sold-out"),
                body: None,
                admits: FOOD_STAFF,
            },
            Route {
                method: Method::GET,
                path: format!("/api/orders?branchId={riyadh}"),
                body: None,
                admits: STAFF,
            },
            // GET /api/orders/{id} is by resource (staff of its branch, or whoever placed
            // it; anyone else gets 404): covered in the orders tests.
            // 1 halala at a time, so every admitted role can pay something.
            Route {
                method: Method::POST,
                path: format!("/api/orders/{order_id}/payments"),
                body: Some(json!({ "method": "cash", "amount": 1 })),
                admits: &[Role::Owner, Role::Manager, Role::Cashier, Role::Waiter],
            },
        ];
        for r in routes {
            let anonymous = app
                .call(r.method.clone(), &r.path, None, r.body.clone())
                .await;
            assert_eq!(
                anonymous.status, 401,
                "{} {} without a token",
                r.method, r.path
            );
            let res = app
                .call(r.method.clone(), &r.path, Some(&token), r.body.clone())
                .await;
            if r.admits.contains(&role) {
                assert!(
                    res.status.is_success(),
                    "{role:?} {} {} → {} {}",
                    r.method,
                    r.path,
                    res.status,
                    res.body
                );
            } else {
                assert_eq!(
                    res.status, 403,
                    "{role:?} {} {} must be forbidden: {}",
                    r.method, r.path, res.body
                );
                assert_eq!(res.code(), "forbidden");
            }
        }
    }
}

#[tokio::test]
async fn a_branch_manager_cannot_act_on_another_branch() {
    let app = spawn_app().await;
    let dubai = app.demo.dubai;
    let (dubai_device, _) = app.device(dubai, "kds").await;
    let manager = app.manager().await;

    app.get(&format!("/api/branches/{dubai}"), &manager)
        .await
        .expect(403);
    app.call(
        Method::PUT,
        &format!("/api/branches/{dubai}"),
        Some(&manager),
        Some(branch_body("Mine now")),
    )
    .await
    .expect(403);
    app.post(
        &format!("/api/branches/{dubai}/devices"),
        Some(&manager),
        json!({ "kind": "pos", "name": "x" }),
    )
    .await
    .expect(403);
    app.get(&format!("/api/branches/{dubai}/devices"), &manager)
        .await
        .expect(403);
    app.post(
        &format!("/api/devices/{dubai_device}/revoke"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(403);
    let hire = |branch: Option<uuid::Uuid>, role: &str| {
        json!({ "email": format!("{role}-{}@demo.test", branch.is_some()), "password": "long-enough-pw",
                "displayName": "X", "role": role, "branchId": branch })
    };
    app.post("/api/staff", Some(&manager), hire(Some(dubai), "cashier"))
        .await
        .expect(403);
    app.post("/api/staff", Some(&manager), hire(None, "cashier"))
        .await
        .expect(403);
    app.post(
        "/api/staff",
        Some(&manager),
        hire(Some(app.demo.riyadh), "manager"),
    )
    .await
    .expect(403);
    app.post(
        "/api/staff",
        Some(&manager),
        hire(Some(app.demo.riyadh), "cashier"),
    )
    .await
    .expect(201);

    // Scoped staff list only their branch; the owner sees both.
    let cashier = app.cashier().await;
    let seen = app.get("/api/branches", &cashier).await.expect(200);
    assert_eq!(seen.as_array().unwrap().len(), 1);
    assert_eq!(seen[0]["id"], app.demo.riyadh.to_string());
    let owner = app.owner().await;
    assert_eq!(
        app.get("/api/branches", &owner)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.get(&format!("/api/branches/{dubai}"), &owner)
        .await
        .expect(200);

    // Nothing the manager tried changed the Dubai branch.
    let d = app
        .get(&format!("/api/branches/{dubai}"), &owner)
        .await
        .expect(200);
    assert_eq!(d["name"], "Dubai — Marina");
    let devices = app
        .get(&format!("/api/branches/{dubai}/devices"), &owner)
        .await
        .expect(200);
    assert!(devices[0]["revokedAt"].is_null());
}
