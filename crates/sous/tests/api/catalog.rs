//! The catalog through the API: the demo menu, the editor, branch overrides and 86, images,
//! import/export, permissions and bad input.

use platform::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, all_items, category, find_item, id_of, item_body, menu, spawn_app};

#[tokio::test]
async fn the_demo_brand_has_a_bilingual_menu_with_branch_differences() {
    let app = spawn_app().await;
    let brand = app
        .call(Method::GET, "/api/brands/demo", None, None)
        .await
        .expect(200);
    assert_eq!(brand["branches"].as_array().unwrap().len(), 2);

    let riyadh = menu(&app, app.demo.riyadh).await;
    let categories: usize = riyadh["menus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["categories"].as_array().unwrap().len())
        .sum();
    assert!(categories >= 8, "{categories} categories");
    let items = all_items(&riyadh);
    assert!(items.len() >= 60, "{} items", items.len());
    for item in &items {
        assert!(
            item["nameAr"].as_str().is_some_and(|s| !s.is_empty()),
            "{item}"
        );
        assert!(item["descriptionAr"].as_str().is_some(), "{item}");
        assert!(item["calories"].as_i64().is_some(), "calories on {item}");
    }
    let breakfast = riyadh["menus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Breakfast")
        .expect("a breakfast menu");
    assert_eq!(breakfast["schedule"][0]["start"], "06:00");
    assert!(riyadh["modifierGroups"].as_array().unwrap().len() >= 3);
    let combos = riyadh["menus"][0]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .chain(riyadh["menus"][1]["categories"].as_array().unwrap())
        .map(|c| c["combos"].as_array().unwrap().len())
        .sum::<usize>();
    assert!(combos >= 3, "{combos} combos");

    let dubai = menu(&app, app.demo.dubai).await;
    let burger = |m: &Value| find_item(m, "Classic Beef Burger").unwrap()["price"].clone();
    assert_eq!(burger(&riyadh), 3200);
    assert_eq!(burger(&dubai), catalog::seed::DUBAI_PRICE);
    let shawarma = |m: &Value| find_item(m, "Beef Shawarma").unwrap()["soldOut"].clone();
    assert_eq!(shawarma(&riyadh), false);
    assert_eq!(shawarma(&dubai), true);
}

#[tokio::test]
async fn the_owner_builds_a_menu_that_guests_see() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let menu_id = id_of(
        &app.post(
            "/api/catalog/menus",
            Some(&owner),
            json!({ "name": "Late night", "nameAr": "آخر الليل" }),
        )
        .await
        .expect(201),
    );
    let cat = id_of(
        &app.post(
            "/api/catalog/categories",
            Some(&owner),
            json!({ "menuId": menu_id, "name": "Midnight bites", "nameAr": "وجبات منتصف الليل" }),
        )
        .await
        .expect(201),
    );
    let sauce = id_of(
        &app.post(
            "/api/catalog/items",
            Some(&owner),
            item_body(cat, "Chili dip", 300),
        )
        .await
        .expect(201),
    );
    let group = app
        .post(
            "/api/catalog/modifier-groups",
            Some(&owner),
            json!({ "name": "Dip", "nameAr": "صلصة", "minSelect": 1, "maxSelect": 1, "options": [
                { "name": "Garlic", "priceDelta": 0, "default": true },
                { "name": "Chili", "priceDelta": 300, "itemId": sauce }
            ]}),
        )
        .await
        .expect(201);
    let mut wings = item_body(cat, "Night wings", 2500);
    wings["modifierGroupIds"] = json!([group["id"]]);
    let wings_id = id_of(
        &app.post("/api/catalog/items", Some(&owner), wings)
            .await
            .expect(201),
    );
    app.post(
        "/api/catalog/combos",
        Some(&owner),
        json!({ "categoryId": cat, "name": "Night box", "price": 2600, "slots": [
            { "name": "Main", "choices": [{ "itemId": wings_id, "default": true }] },
            { "name": "Dip", "choices": [{ "itemId": sauce, "default": true }] }
        ]}),
    )
    .await
    .expect(201);

    let m = menu(&app, app.demo.riyadh).await;
    let section = m["menus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Late night")
        .expect("the new menu");
    let category = &section["categories"][0];
    assert_eq!(category["nameAr"], "وجبات منتصف الليل");
    assert_eq!(category["items"][0]["name"], "Chili dip");
    assert_eq!(category["combos"][0]["slots"].as_array().unwrap().len(), 2);
    let wings = find_item(&m, "Night wings").unwrap();
    let group_id = wings["modifierGroupIds"][0].clone();
    let group = m["modifierGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == group_id)
        .unwrap();
    assert_eq!(group["required"], true);
    assert_eq!(group["options"][1]["itemId"], json!(sauce));

    // Reorder: wings first.
    app.post(
        "/api/catalog/reorder",
        Some(&owner),
        json!({ "kind": "items", "ids": [wings_id, sauce] }),
    )
    .await
    .expect(204);
    let m = menu(&app, app.demo.riyadh).await;
    let names: Vec<_> = m["menus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Late night")
        .unwrap()["categories"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Night wings"), json!("Chili dip")]);

    // Update and archive.
    let mut changed = item_body(cat, "Night wings", 2700);
    changed["modifierGroupIds"] = json!([group_id]);
    app.put(&format!("/api/catalog/items/{wings_id}"), &owner, changed)
        .await
        .expect(204);
    assert_eq!(
        find_item(&menu(&app, app.demo.riyadh).await, "Night wings").unwrap()["price"],
        2700
    );
    app.call(
        Method::DELETE,
        &format!("/api/catalog/items/{wings_id}"),
        Some(&owner),
        None,
    )
    .await
    .expect(204);
    let m = menu(&app, app.demo.riyadh).await;
    assert!(find_item(&m, "Night wings").is_none());
    // Every change is audited.
    let mut conn = app.db.owner_conn().await;
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where tenant_id = $1 and action like 'item.%'",
    )
    .bind(app.demo.tenant_id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(audited >= 5, "{audited} item changes audited");
}

#[tokio::test]
async fn bad_catalog_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let (other_owner, _, _) = app.other_tenant("brand-x").await;
    let burgers = category(&app, &owner, "Burgers").await;
    let before = app.get("/api/catalog", &owner).await.expect(200);

    let cases = [
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "", "price": 100 }),
            422,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "X", "price": -1 }),
            422,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "X", "price": 100, "image": "cat.png" }),
            422,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "X", "price": 100, "image": "a".repeat(64) }),
            422,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": Uuid::now_v7(), "name": "X", "price": 100 }),
            422,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "X", "price": 100, "modifierGroupIds": [Uuid::now_v7()] }),
            422,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "X", "price": 100, "sku": "BRG-001" }),
            409,
        ),
        (
            "/api/catalog/items",
            json!({ "categoryId": burgers, "name": "X", "price": 100, "unknown": 1 }),
            422,
        ),
        (
            "/api/catalog/menus",
            json!({ "name": "M", "schedule": [{ "days": [8], "start": "06:00", "end": "07:00" }] }),
            422,
        ),
        (
            "/api/catalog/menus",
            json!({ "name": "M", "schedule": [{ "days": [1], "start": "25:00", "end": "07:00" }] }),
            422,
        ),
        (
            "/api/catalog/modifier-groups",
            json!({ "name": "G", "minSelect": 2, "maxSelect": 1, "options": [{ "name": "a" }, { "name": "b" }] }),
            422,
        ),
        (
            "/api/catalog/modifier-groups",
            json!({ "name": "G", "minSelect": 3, "maxSelect": 3, "options": [{ "name": "a" }] }),
            422,
        ),
        (
            "/api/catalog/modifier-groups",
            json!({ "name": "G", "minSelect": 0, "maxSelect": 1, "options": [{ "name": "a", "default": true }, { "name": "b", "default": true }] }),
            422,
        ),
        (
            "/api/catalog/combos",
            json!({ "categoryId": burgers, "name": "C", "price": 1, "slots": [] }),
            422,
        ),
        (
            "/api/catalog/combos",
            json!({ "categoryId": burgers, "name": "C", "price": 1, "slots": [{ "name": "s", "choices": [{ "itemId": Uuid::now_v7() }] }] }),
            422,
        ),
        (
            "/api/catalog/reorder",
            json!({ "kind": "items", "ids": [Uuid::now_v7()] }),
            422,
        ),
        (
            "/api/catalog/items/prices",
            json!({ "categoryId": burgers }),
            422,
        ),
    ];
    for (path, body, status) in cases {
        let res = app.post(path, Some(&owner), body.clone()).await;
        assert_eq!(res.status.as_u16(), status, "{path} {body}: {}", res.body);
    }
    // Another brand's category is not a category of this brand.
    let res = app
        .post(
            "/api/catalog/items",
            Some(&other_owner),
            json!({ "categoryId": burgers, "name": "X", "price": 1 }),
        )
        .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.body);
    // Option ids are public (menus show them); naming another brand's option is refused.
    let demo_option =
        menu(&app, app.demo.riyadh).await["modifierGroups"][0]["options"][0]["id"].clone();
    let group = app
        .post(
            "/api/catalog/modifier-groups",
            Some(&other_owner),
            json!({ "name": "G", "minSelect": 0, "maxSelect": 1, "options": [{ "name": "a" }] }),
        )
        .await
        .expect(201);
    let res = app.put(&format!("/api/catalog/modifier-groups/{}", group["id"].as_str().unwrap()),
        &other_owner,
        json!({ "name": "G", "minSelect": 0, "maxSelect": 1, "options": [{ "id": demo_option, "name": "stolen" }] }),
    )
    .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.body);
    assert_eq!(app.get("/api/catalog", &owner).await.expect(200), before);
}

#[tokio::test]
async fn who_may_change_what() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;
    let manager = app.manager().await; // scoped to Riyadh
    let kitchen = app.token(Role::Kitchen).await;
    let driver = app.token(Role::Driver).await;
    let cashier = app.cashier().await;
    let customer = app.token(Role::Customer).await;
    let burgers = category(&app, &owner, "Burgers").await;
    let burger = id_of(find_item(&menu(&app, riyadh).await, "Classic Beef Burger").unwrap());

    // The brand-wide editor: owner (and managers of every branch) only.
    for token in [&manager, &cashier, &kitchen, &customer] {
        let res = app
            .post(
                "/api/catalog/items",
                Some(token),
                item_body(burgers, "X", 100),
            )
            .await;
        assert_eq!(res.status.as_u16(), 403, "{}", res.body);
    }
    let res = app
        .call(
            Method::POST,
            "/api/catalog/items",
            None,
            Some(item_body(burgers, "X", 100)),
        )
        .await;
    assert_eq!(res.status.as_u16(), 401);

    // Branch overrides: the branch's manager, not another branch's.
    let path = |b: Uuid| format!("/api/branches/{b}/catalog/items/{burger}");
    app.put(&path(riyadh), &manager, json!({ "price": 3000 }))
        .await
        .expect(200);
    app.put(&path(dubai), &manager, json!({ "price": 3000 }))
        .await
        .expect(403);
    app.put(&path(riyadh), &cashier, json!({ "price": 1 }))
        .await
        .expect(403);

    // 86: staff of the branch who handle food; not drivers, not other branches.
    let sold_out = |b: Uuid| format!("/api/branches/{b}/catalog/items/{burger}/sold-out");
    app.post(&sold_out(riyadh), Some(&kitchen), json!({}))
        .await
        .expect(200);
    app.post(&sold_out(dubai), Some(&kitchen), json!({}))
        .await
        .expect(403);
    app.post(&sold_out(riyadh), Some(&driver), json!({}))
        .await
        .expect(403);
    app.post(&sold_out(riyadh), Some(&customer), json!({}))
        .await
        .expect(403);
    // The owner reaches every branch.
    app.post(&sold_out(dubai), Some(&owner), json!({}))
        .await
        .expect(200);
}

#[tokio::test]
async fn eighty_six_and_back_keeps_the_branch_price_and_records_who() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let manager = app.manager().await;
    let kitchen = app.token(Role::Kitchen).await;
    let kitchen_id = crate::helpers::claims(&kitchen)["sub"].clone();
    let burger = id_of(find_item(&menu(&app, riyadh).await, "Chicken Burger").unwrap());
    let base = format!("/api/branches/{riyadh}/catalog/items/{burger}");

    app.put(&base, &manager, json!({ "price": 2999 }))
        .await
        .expect(200);
    let row = app
        .post(&format!("{base}/sold-out"), Some(&kitchen), json!({}))
        .await
        .expect(200);
    assert_eq!(row["soldOutBy"], kitchen_id);
    assert!(row["soldOutAt"].is_string());
    assert_eq!(row["price"], 2999);

    let m = menu(&app, riyadh).await;
    let item = find_item(&m, "Chicken Burger").unwrap();
    assert_eq!(item["soldOut"], true);
    assert_eq!(item["price"], 2999);
    // A sold-out item cannot be priced for a cart.
    let size = m["modifierGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            item["modifierGroupIds"]
                .as_array()
                .unwrap()
                .contains(&g["id"])
                && g["required"] == true
        })
        .map(|g| g["options"][0]["id"].clone());
    let selection = json!({ "productId": burger, "options": size.into_iter().collect::<Vec<_>>() });
    let refused = app
        .post(
            &format!("/api/branches/{riyadh}/menu/price"),
            None,
            selection.clone(),
        )
        .await
        .expect(422);
    assert!(refused.to_string().contains("sold out"), "{refused}");
    // Other branches are not affected.
    assert_eq!(
        find_item(&menu(&app, app.demo.dubai).await, "Chicken Burger").unwrap()["soldOut"],
        false
    );

    app.call(
        Method::DELETE,
        &format!("{base}/sold-out"),
        Some(&kitchen),
        None,
    )
    .await
    .expect(204);
    let m = menu(&app, riyadh).await;
    let item = find_item(&m, "Chicken Burger").unwrap();
    assert_eq!(item["soldOut"], false);
    assert_eq!(item["price"], 2999, "un-86 keeps the branch price");
    let priced = app
        .post(
            &format!("/api/branches/{riyadh}/menu/price"),
            None,
            selection,
        )
        .await
        .expect(200);
    assert_eq!(priced["base"], 2999);
}

#[tokio::test]
async fn a_branch_can_hide_a_category() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let desserts = category(&app, &owner, "Desserts").await;
    app.put(
        &format!(
            "/api/branches/{}/catalog/categories/{desserts}",
            app.demo.dubai
        ),
        &owner,
        json!({ "hidden": true }),
    )
    .await
    .expect(204);
    let has_desserts = |m: &Value| {
        m["menus"].as_array().unwrap().iter().any(|s| {
            s["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "Desserts")
        })
    };
    assert!(!has_desserts(&menu(&app, app.demo.dubai).await));
    assert!(has_desserts(&menu(&app, app.demo.riyadh).await));
}

#[tokio::test]
async fn selections_are_checked_and_priced() {
    let app = spawn_app().await;
    let m = menu(&app, app.demo.riyadh).await;
    let path = format!("/api/branches/{}/menu/price", app.demo.riyadh);
    let burger = find_item(&m, "Classic Beef Burger").unwrap();
    let groups: Vec<&Value> = burger["modifierGroupIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            m["modifierGroups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| &g["id"] == id)
                .unwrap()
        })
        .collect();
    let size = groups.iter().find(|g| g["name"] == "Size").unwrap();
    let large = size["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Large")
        .unwrap();
    let regular = &size["options"][0];

    let priced = app
        .post(
            &path,
            None,
            json!({ "productId": burger["id"], "options": [large["id"]] }),
        )
        .await
        .expect(200);
    assert_eq!(
        priced["total"],
        3200 + large["priceDelta"].as_i64().unwrap()
    );
    // The size is required; one size only; options of other items are refused.
    let missing = app
        .post(&path, None, json!({ "productId": burger["id"] }))
        .await
        .expect(422);
    assert!(missing.to_string().contains("at least 1"), "{missing}");
    app.post(
        &path,
        None,
        json!({ "productId": burger["id"], "options": [large["id"], regular["id"]] }),
    )
    .await
    .expect(422);
    app.post(
        &path,
        None,
        json!({ "productId": burger["id"], "options": [large["id"], Uuid::now_v7()] }),
    )
    .await
    .expect(422);
    app.post(&path, None, json!({ "productId": Uuid::now_v7() }))
        .await
        .expect(422);
    app.post(
        &format!("/api/branches/{}/menu/price", Uuid::now_v7()),
        None,
        json!({ "productId": burger["id"] }),
    )
    .await
    .expect(404);
}

/// A real 1×1 PNG.
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B,
    0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0x48, 0xAF, 0xA4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

async fn upload(
    app: &TestApp,
    token: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/catalog/media", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn images_are_checked_stored_by_hash_and_cached_forever() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let res = upload(&app, &owner, "image/png", PNG_1X1.to_vec()).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    let sha = stored["sha256"].as_str().unwrap().to_string();
    assert_eq!(stored["width"], 1);

    let url = format!("{}/api/media/{sha}", app.base);
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = res.headers()["etag"].clone();
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG_1X1);
    let res = app
        .client
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // An item can now show it.
    let burgers = category(&app, &owner, "Burgers").await;
    let mut body = item_body(burgers, "Pictured burger", 100);
    body["image"] = json!(sha);
    app.post("/api/catalog/items", Some(&owner), body)
        .await
        .expect(201);
    let m = menu(&app, app.demo.riyadh).await;
    assert_eq!(
        find_item(&m, "Pictured burger").unwrap()["imageUrl"],
        format!("/api/media/{sha}")
    );

    // Wrong type, a lie about the type, too big: refused with problems, nothing stored.
    let mut conn = app.db.owner_conn().await;
    let before: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    for (ct, bytes, status) in [
        ("image/svg+xml", b"<svg/>".to_vec(), 415),
        ("image/jpeg", PNG_1X1.to_vec(), 415),
        ("text/plain", b"hello".to_vec(), 415),
        ("image/png", vec![0u8; 2 * 1024 * 1024 + 10], 413),
    ] {
        let res = upload(&app, &owner, ct, bytes).await;
        assert_eq!(res.status(), status, "{ct}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let stored: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, before);
    let cashier = app.cashier().await;
    assert_eq!(
        upload(&app, &cashier, "image/png", PNG_1X1.to_vec())
            .await
            .status(),
        403
    );
    let res = app
        .client
        .get(format!("{}/api/media/{}", app.base, "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

/// A real 2×1 PNG (another image than [`PNG_1X1`]).
const PNG_2X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0xD1, 0x49, 0x20,
    0x56, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x68, 0x68, 0x00, 0x00,
    0x01, 0x83, 0x01, 0x01, 0x18, 0x35, 0x22, 0x15, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn demo_items_have_photos_and_a_smaller_copy_is_listed_for_srcset() {
    let app = spawn_app().await;
    // Every demo item comes with its drawing, 320 and 640 pixels wide, narrowest first.
    for item in all_items(&menu(&app, app.demo.riyadh).await) {
        let sizes = item["imageSrcset"].as_array().unwrap();
        let widths: Vec<i64> = sizes.iter().map(|s| s["width"].as_i64().unwrap()).collect();
        assert_eq!(widths, [320, 640], "{}", item["name"]);
        assert_eq!(sizes[1]["url"], item["imageUrl"], "{}", item["name"]);
    }

    // An uploaded image and a smaller copy of it: the menu lists both for the item.
    let owner = app.owner().await;
    let large: Value = upload(&app, &owner, "image/png", PNG_2X1.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let large = large["sha256"].as_str().unwrap().to_string();
    let small = app
        .client
        .post(format!("{}/api/catalog/media?variantOf={large}", app.base))
        .bearer_auth(&owner)
        .header("content-type", "image/png")
        .body(PNG_1X1.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 201);
    let small: Value = small.json().await.unwrap();
    let burgers = category(&app, &owner, "Burgers").await;
    let mut body = item_body(burgers, "Two-size burger", 100);
    body["image"] = json!(large);
    app.post("/api/catalog/items", Some(&owner), body)
        .await
        .expect(201);
    let m = menu(&app, app.demo.riyadh).await;
    assert_eq!(
        find_item(&m, "Two-size burger").unwrap()["imageSrcset"],
        json!([
            { "url": small["url"], "width": 1, "height": 1 },
            { "url": format!("/api/media/{large}"), "width": 2, "height": 1 },
        ])
    );

    // A copy of an image the brand does not have, or not a hash: refused on `variantOf`, and
    // nothing stored.
    for of in ["0".repeat(64), "not-a-hash".to_string()] {
        let res = app
            .client
            .post(format!("{}/api/catalog/media?variantOf={of}", app.base))
            .bearer_auth(&owner)
            .header("content-type", "image/png")
            .body(PNG_1X2.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{of}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem["errors"]["variantOf"].is_array(), "{problem}");
    }
    let mut conn = app.db.owner_conn().await;
    let copies: i64 =
        sqlx::query_scalar("select count(*) from media where width = 1 and height = 2")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(copies, 0);
}

/// A real 1×2 PNG (a third image).
const PNG_1X2: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0xBC, 0xEA, 0xE9,
    0xFB, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x70, 0x60, 0x38, 0x00,
    0x00, 0x01, 0x84, 0x01, 0x01, 0x0A, 0x7F, 0x90, 0x50, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Replaces every UUID in `v` by its order of first appearance, so two exports of the same
/// menu under different ids compare equal.
fn canonical(v: &Value) -> Value {
    fn walk(v: &Value, seen: &mut Vec<String>) -> Value {
        match v {
            Value::String(s) if s.parse::<Uuid>().is_ok() => {
                let n = seen.iter().position(|x| x == s).unwrap_or_else(|| {
                    seen.push(s.clone());
                    seen.len() - 1
                });
                json!(format!("#{n}"))
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, seen)).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, x)| (k.clone(), walk(x, seen))).collect())
            }
            other => other.clone(),
        }
    }
    walk(v, &mut Vec::new())
}

#[tokio::test]
async fn an_exported_menu_imports_into_an_empty_brand_identically() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    // An image travels with the menu.
    let sha: Value = upload(&app, &owner, "image/png", PNG_1X1.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let burgers = category(&app, &owner, "Burgers").await;
    let mut body = item_body(burgers, "Pictured burger", 100);
    body["image"] = sha["sha256"].clone();
    app.post("/api/catalog/items", Some(&owner), body)
        .await
        .expect(201);

    let exported = app.get("/api/catalog/export", &owner).await.expect(200);
    let (other, _, other_branch) = app.other_tenant("brand-copy").await;
    let done = app
        .post("/api/catalog/import", Some(&other), exported.clone())
        .await
        .expect(201);
    assert_eq!(done["items"].as_u64().unwrap(), all_items_in(&exported));
    let again = app.get("/api/catalog/export", &other).await.expect(200);
    assert_eq!(canonical(&again), canonical(&exported));
    // The other brand's guests see the same menu.
    assert_eq!(
        all_items(&menu(&app, other_branch).await).len(),
        all_items(&menu(&app, app.demo.riyadh).await).len()
    );

    // Only into an empty catalog; a broken document changes nothing.
    app.post("/api/catalog/import", Some(&other), exported.clone())
        .await
        .expect(409);
    let (third, _, _) = app.other_tenant("brand-third").await;
    let mut broken = exported.clone();
    broken["categories"][0]["items"][0]["modifierGroups"] = json!(["no-such-group"]);
    let res = app
        .post("/api/catalog/import", Some(&third), broken)
        .await
        .expect(422);
    assert!(res["errors"].to_string().contains("no-such-group"), "{res}");
    // The demo's photos travel with their smaller copies, each listed after its image; a copy
    // listed before its image is refused.
    let media = exported["media"].as_array().unwrap();
    assert!(media.iter().any(|m| m["variantOf"].is_string()));
    let mut misordered = exported.clone();
    misordered["media"].as_array_mut().unwrap().reverse();
    let res = app
        .post("/api/catalog/import", Some(&third), misordered)
        .await
        .expect(422);
    assert!(res["errors"].to_string().contains("variantOf"), "{res}");
    let empty = app.get("/api/catalog", &third).await.expect(200);
    assert_eq!(empty["menus"], json!([]));
}

fn all_items_in(doc: &Value) -> u64 {
    doc["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["items"].as_array().unwrap().len() as u64)
        .sum()
}

#[tokio::test]
async fn items_round_trip_through_csv() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let csv = app
        .client
        .get(format!("{}/api/catalog/items.csv", app.base))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("id,category_id,sku,name,name_ar"), "{csv}");
    // A spreadsheet edit: Karak gets dearer, and a new item joins the hot drinks.
    let header = csv.lines().next().unwrap().to_string();
    let m = menu(&app, app.demo.riyadh).await;
    let karak = find_item(&m, "Karak Tea").unwrap();
    let hot_drinks = category(&app, &owner, "Hot Drinks").await;
    let lines = [
        header.clone(),
        format!(
            "{},,{},Karak Tea,شاي كرك,,,777,150,dairy,,bar,120,true",
            karak["id"].as_str().unwrap(),
            karak["sku"].as_str().unwrap()
        ),
        format!(",{hot_drinks},NEW-001,Saffron Tea,شاي بالزعفران,,,900,5,,,bar,120,true"),
    ];
    let res = app
        .client
        .post(format!("{}/api/catalog/items.csv", app.base))
        .bearer_auth(&owner)
        .header("content-type", "text/csv")
        .body(lines.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["created"], 1);
    let m = menu(&app, app.demo.riyadh).await;
    assert_eq!(find_item(&m, "Karak Tea").unwrap()["price"], 777);
    assert_eq!(
        find_item(&m, "Saffron Tea").unwrap()["nameAr"],
        "شاي بالزعفران"
    );

    // A bad row rejects the whole file.
    let res = app
        .client
        .post(format!("{}/api/catalog/items.csv", app.base))
        .bearer_auth(&owner)
        .header("content-type", "text/csv")
        .body(format!("{header}\n,{hot_drinks},,Cheap,,,,-5,,,,,,true\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn bulk_price_changes_round_and_are_audited() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let burgers = category(&app, &owner, "Burgers").await;
    let before = menu(&app, app.demo.riyadh).await;
    let old = find_item(&before, "Classic Beef Burger").unwrap()["price"]
        .as_i64()
        .unwrap();
    let res = app
        .post(
            "/api/catalog/items/prices",
            Some(&owner),
            json!({ "categoryId": burgers, "percentBp": 1000, "roundTo": 50 }),
        )
        .await
        .expect(200);
    assert!(res["changed"].as_u64().unwrap() >= 5);
    let after = menu(&app, app.demo.riyadh).await;
    let new = find_item(&after, "Classic Beef Burger").unwrap()["price"]
        .as_i64()
        .unwrap();
    assert_eq!(new, ((old as f64 * 1.1 / 50.0).round() as i64) * 50);
    // Other categories are untouched.
    assert_eq!(
        find_item(&after, "Karak Tea").unwrap()["price"],
        find_item(&before, "Karak Tea").unwrap()["price"]
    );
    let mut conn = app.db.owner_conn().await;
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'item.prices_changed' and tenant_id = $1",
    )
    .bind(app.demo.tenant_id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}
