//! Menu search: English and Arabic, prefixes while typing, typos, normalised Arabic spelling,
//! mixed queries, ranking, availability and tenant isolation.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, find_item, item_body, menu, spawn_app};

async fn search(app: &TestApp, branch: Uuid, q: &str) -> Vec<Value> {
    let res = app
        .client
        .get(format!("{}/api/branches/{branch}/menu/search", app.base))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{q}");
    res.json::<Vec<Value>>().await.unwrap()
}

fn names(results: &[Value]) -> Vec<&str> {
    results
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

/// "Chicken Shawarma" is found, and every result above it is a chicken shawarma too.
#[track_caller]
fn chicken_shawarmas_first(hits: &[Value]) {
    let order = names(hits);
    let at = order
        .iter()
        .position(|n| *n == "Chicken Shawarma")
        .unwrap_or_else(|| panic!("no Chicken Shawarma in {order:?}"));
    assert!(
        order[..at].iter().all(|n| n.contains("Chicken Shawarma")),
        "{order:?}"
    );
}

#[tokio::test]
async fn search_finds_what_guests_type() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;

    // English, best match first.
    let hits = search(&app, riyadh, "chicken burger").await;
    assert_eq!(names(&hits)[0], "Chicken Burger", "{hits:?}");
    assert!(
        hits[0]["highlight"]["name"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );

    // While typing: a prefix.
    let hits = search(&app, riyadh, "burg").await;
    assert!(names(&hits).contains(&"Classic Beef Burger"), "{hits:?}");
    assert!(names(&hits).contains(&"Chicken Burger"));

    // Typos.
    let hits = search(&app, riyadh, "chiken burgr").await;
    assert_eq!(names(&hits).first(), Some(&"Chicken Burger"), "{hits:?}");

    // Arabic: "شاورما دجاج" finds "شاورما الدجاج" (article and all), with the other chicken
    // shawarmas, before the beef ones that match one word only.
    let hits = search(&app, riyadh, "شاورما دجاج").await;
    chicken_shawarmas_first(&hits);
    // Diacritics and tatweel in the query do not matter.
    let hits = search(&app, riyadh, "شَاوَرْمـــا").await;
    assert!(names(&hits).contains(&"Chicken Shawarma"), "{hits:?}");

    // Mixed English and Arabic.
    let hits = search(&app, riyadh, "chicken شاورما").await;
    chicken_shawarmas_first(&hits);

    // A name match beats a description match: Caesar Salad only mentions grilled chicken.
    let hits = search(&app, riyadh, "grilled chicken").await;
    let order = names(&hits);
    let caesar = order
        .iter()
        .position(|n| *n == "Caesar Salad")
        .expect("description match");
    let named = order
        .iter()
        .position(|n| n.to_lowercase().contains("grilled chicken"))
        .expect("name match");
    assert!(named < caesar, "{order:?}");
}

#[tokio::test]
async fn arabic_spelling_variants_meet() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let catalog = app.get("/api/catalog", &owner).await.expect(200);
    let salads = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Salads")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut body = item_body(salads, "House salad", 1500);
    body["nameAr"] = json!("سلطة أمّي الخاصة"); // ta marbuta, hamza on alef, shadda
    app.post("/api/catalog/items", Some(&owner), body)
        .await
        .expect(201);
    for q in ["سلطه امي", "سلطة أمي", "سلطة إمي"] {
        let hits = search(&app, app.demo.riyadh, q).await;
        assert!(names(&hits).contains(&"House salad"), "{q}: {hits:?}");
    }
}

#[tokio::test]
async fn search_shows_only_what_can_be_ordered_here_now() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;

    // 86'd in Dubai (the demo seed), on sale in Riyadh.
    assert!(names(&search(&app, riyadh, "beef shawarma").await).contains(&"Beef Shawarma"));
    assert!(!names(&search(&app, dubai, "beef shawarma").await).contains(&"Beef Shawarma"));

    // Day-parts: breakfast off now → no shakshuka; on all day → found.
    let catalog = app.get("/api/catalog", &owner).await.expect(200);
    let breakfast = catalog["menus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Breakfast")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Riyadh);
    let (start, end) = (
        now + chrono::Duration::hours(2),
        now + chrono::Duration::hours(3),
    );
    let off = json!({ "name": "Breakfast", "schedule": [{ "days": [1,2,3,4,5,6,7],
        "start": start.format("%H:%M").to_string(), "end": end.format("%H:%M").to_string() }] });
    app.call(
        Method::PUT,
        &format!("/api/catalog/menus/{breakfast}"),
        Some(&owner),
        Some(off),
    )
    .await
    .expect(204);
    assert!(!names(&search(&app, riyadh, "shakshuka").await).contains(&"Shakshuka"));
    let m = menu(&app, riyadh).await;
    assert_eq!(
        find_item(&m, "Shakshuka").unwrap()["soldOut"],
        false,
        "shown, just not now"
    );
    let on = json!({ "name": "Breakfast", "schedule": [] });
    app.call(
        Method::PUT,
        &format!("/api/catalog/menus/{breakfast}"),
        Some(&owner),
        Some(on),
    )
    .await
    .expect(204);
    assert!(names(&search(&app, riyadh, "shakshuka").await).contains(&"Shakshuka"));

    // Hidden at a branch → not found there.
    let burger = find_item(&m, "Chicken Burger").unwrap()["id"].clone();
    app.call(
        Method::PUT,
        &format!(
            "/api/branches/{riyadh}/catalog/items/{}",
            burger.as_str().unwrap()
        ),
        Some(&owner),
        Some(json!({ "hidden": true })),
    )
    .await
    .expect(200);
    assert!(!names(&search(&app, riyadh, "chicken burger").await).contains(&"Chicken Burger"));
}

#[tokio::test]
async fn search_never_crosses_brands_and_refuses_bad_queries() {
    let app = spawn_app().await;
    let (other, _, other_branch) = app.other_tenant("brand-s").await;
    // The other brand sells a "Chicken Burger Deluxe"; the demo's guests never see it.
    let menu_id = app
        .post(
            "/api/catalog/menus",
            Some(&other),
            json!({ "name": "Main" }),
        )
        .await
        .expect(201)["id"]
        .clone();
    let cat = app
        .post(
            "/api/catalog/categories",
            Some(&other),
            json!({ "menuId": menu_id, "name": "Burgers" }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.post(
        "/api/catalog/items",
        Some(&other),
        item_body(cat, "Chicken Burger Deluxe", 100),
    )
    .await
    .expect(201);
    let demo_hits = search(&app, app.demo.riyadh, "chicken burger deluxe").await;
    assert!(
        !names(&demo_hits).contains(&"Chicken Burger Deluxe"),
        "{demo_hits:?}"
    );
    let other_hits = search(&app, other_branch, "chicken burger").await;
    assert_eq!(names(&other_hits), vec!["Chicken Burger Deluxe"]);

    let path = |q: &str| format!("/api/branches/{}/menu/search?{q}", app.demo.riyadh);
    for (q, status) in [
        ("q=", 422),
        ("q=%20--%20", 422),
        ("q=tea&lang=fr", 422),
        ("q=tea&limit=0", 422),
        ("", 400),
    ] {
        let res = app.call(Method::GET, &path(q), None, None).await;
        assert_eq!(res.status.as_u16(), status, "{q}: {}", res.body);
    }
    let res = app
        .call(
            Method::GET,
            &format!("/api/branches/{}/menu/search?q=tea", Uuid::now_v7()),
            None,
            None,
        )
        .await;
    assert_eq!(res.status.as_u16(), 404);
}
