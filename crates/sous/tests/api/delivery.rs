//! Delivery zones and delivery orders: point-in-polygon edges (boundary, just outside, a
//! concave zone), the radius edge, a closed branch, an address outside every zone refused with
//! nothing written, the zone's fee in the order total and the ledger, and the zone's minimum.

use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Res, TestApp, add_zone, always_open, key, l_shape, line, menu, place, spawn_app,
};

async fn quote(app: &TestApp, branch: Uuid, lat: f64, lng: f64) -> Res {
    app.post(
        &format!("/api/branches/{branch}/delivery-quote"),
        None,
        json!({ "lat": lat, "lng": lng }),
    )
    .await
}

/// Metres north of a latitude, in degrees, on the sphere `earthdistance` uses.
fn north(metres: f64) -> f64 {
    metres / (6_378_168.0 * std::f64::consts::PI / 180.0)
}

#[tokio::test]
async fn zones_cover_their_polygon_edges_and_radius_and_nothing_else() {
    let app = spawn_app().await;
    always_open(&app).await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;
    let l = add_zone(
        &app,
        &owner,
        riyadh,
        json!({ "name": "Olaya", "area": l_shape(), "fee": 900, "minimumOrder": 0, "etaMinutes": 35 }),
    )
    .await;
    assert_eq!(l["kind"], "polygon");

    for (lat, lng, inside, what) in [
        (24.62, 46.62, true, "inside"),
        (24.62, 46.70, true, "on the east edge"),
        (24.60, 46.60, true, "on a corner"),
        (24.68, 46.65, true, "on the notch's edge"),
        (24.62, 46.7001, false, "11 m east of the edge"),
        (24.5999, 46.62, false, "11 m south of the edge"),
        (24.68, 46.68, false, "in the notch (concave part)"),
        (24.6501, 46.6501, false, "just inside the notch's corner"),
    ] {
        let res = quote(&app, riyadh, lat, lng).await;
        if inside {
            let q = res.expect(200);
            assert_eq!(q["zoneId"], l["id"], "{what}");
            assert_eq!(
                (q["fee"].as_i64(), q["etaMinutes"].as_i64()),
                (Some(900), Some(35))
            );
            assert_eq!(q["currency"], "SAR");
        } else {
            assert_eq!(res.status, 422, "{what}: {}", res.body);
            assert_eq!(res.code(), "outside_delivery_zone", "{what}");
            assert!(
                res.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("does not deliver")
            );
        }
    }

    // A 2 km circle around the Dubai branch (its own location is the default centre).
    let circle = add_zone(
        &app,
        &owner,
        dubai,
        json!({ "name": "Marina", "radiusMetres": 2000, "fee": 700, "etaMinutes": 25 }),
    )
    .await;
    assert_eq!(circle["center"], json!({ "lat": 25.0805, "lng": 55.1403 }));
    let (lat, lng) = (25.0805, 55.1403);
    assert_eq!(
        quote(&app, dubai, lat + north(1990.0), lng)
            .await
            .expect(200)["zoneId"],
        circle["id"]
    );
    assert_eq!(
        quote(&app, dubai, lat, lng).await.expect(200)["zoneId"],
        circle["id"]
    );
    let out = quote(&app, dubai, lat + north(2010.0), lng).await;
    assert_eq!(
        (out.status.as_u16(), out.code()),
        (422, "outside_delivery_zone")
    );
    // Zones are per branch: the Riyadh zone delivers nothing from Dubai.
    assert_eq!(quote(&app, dubai, 24.62, 46.62).await.status, 422);

    // Overlapping zones: the cheaper one wins.
    let inner = add_zone(
        &app,
        &owner,
        dubai,
        json!({ "name": "Marina walk", "radiusMetres": 500, "fee": 300, "etaMinutes": 20 }),
    )
    .await;
    assert_eq!(
        quote(&app, dubai, lat, lng).await.expect(200)["zoneId"],
        inner["id"]
    );
    assert_eq!(
        quote(&app, dubai, lat + north(1000.0), lng)
            .await
            .expect(200)["zoneId"],
        circle["id"]
    );

    // Unknown branch → 404; a point off the globe → 422 naming the field.
    assert_eq!(quote(&app, Uuid::now_v7(), lat, lng).await.status, 404);
    let bad = quote(&app, dubai, 91.0, lng).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body["errors"]["lat"].is_array(), "{}", bad.body);
}

#[tokio::test]
async fn a_closed_branch_quotes_no_delivery() {
    let app = spawn_app().await;
    always_open(&app).await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    add_zone(
        &app,
        &owner,
        riyadh,
        json!({ "name": "Olaya", "area": l_shape(), "fee": 900, "etaMinutes": 35 }),
    )
    .await;
    quote(&app, riyadh, 24.62, 46.62).await.expect(200);
    let mut conn = app.db.owner_conn().await;
    // Open only on the day after tomorrow (branch time): closed now.
    sqlx::query(
        "update branches set opening_hours = jsonb_build_object(\
           to_char((now() at time zone time_zone) + interval '2 days', 'dy'), \
           jsonb_build_array(jsonb_build_array('00:00', '23:59'))) where id = $1",
    )
    .bind(riyadh)
    .execute(&mut conn)
    .await
    .unwrap();
    let closed = quote(&app, riyadh, 24.62, 46.62).await;
    assert_eq!(
        (closed.status.as_u16(), closed.code()),
        (422, "branch_closed")
    );
    // Open today from midnight past the next midnight (a span that wraps): open.
    sqlx::query(
        "update branches set opening_hours = jsonb_build_object(\
           to_char(now() at time zone time_zone, 'dy'), \
           jsonb_build_array(jsonb_build_array('00:00', '00:00'))) where id = $1",
    )
    .bind(riyadh)
    .execute(&mut conn)
    .await
    .unwrap();
    quote(&app, riyadh, 24.62, 46.62).await.expect(200);
    // A branch closed by its status is closed whatever its hours.
    sqlx::query("update branches set status = 'closed', opening_hours = '{}' where id = $1")
        .bind(riyadh)
        .execute(&mut conn)
        .await
        .unwrap();
    let closed = quote(&app, riyadh, 24.62, 46.62).await;
    assert_eq!(
        (closed.status.as_u16(), closed.code()),
        (422, "branch_closed")
    );
}

#[tokio::test]
async fn managers_keep_the_zones_and_others_cannot() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (manager, waiter) = (app.manager().await, app.token(Role::Waiter).await);
    let body = json!({ "name": "Olaya", "nameAr": "العليا", "area": l_shape(), "fee": 900,
                       "minimumOrder": 3000, "etaMinutes": 35 });
    let path = format!("/api/branches/{riyadh}/delivery-zones");
    assert_eq!(
        app.post(&path, Some(&waiter), body.clone()).await.status,
        403
    );
    let zone = add_zone(&app, &manager, riyadh, body.clone()).await;
    assert_eq!(zone["area"], l_shape());
    let id = zone["id"].as_str().unwrap();

    // Bad shapes: both or neither shape, an open ring, a hole.
    for (bad, field) in [
        (json!({ "radiusMetres": 1000 }), "area"),
        (json!({ "area": null }), "area"),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [[[46.6, 24.6], [46.7, 24.6], [46.7, 24.7]]] } }),
            "area",
        ),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [l_shape()["coordinates"][0], l_shape()["coordinates"][0]] } }),
            "area",
        ),
        (json!({ "fee": -1 }), "fee"),
        (json!({ "etaMinutes": 0 }), "etaMinutes"),
    ] {
        let mut b = body.clone();
        for (k, v) in bad.as_object().unwrap() {
            b[k] = v.clone();
        }
        let res = app.post(&path, Some(&manager), b).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
        assert!(res.body["errors"][field].is_array(), "{bad}: {}", res.body);
    }
    assert_eq!(app.scalar("select count(*) from delivery_zones").await, 1);

    // Change it into a circle with its own centre.
    let changed = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/delivery-zones/{id}"),
            Some(&manager),
            Some(json!({ "name": "Olaya 3 km", "radiusMetres": 3000, "center": { "lat": 24.69, "lng": 46.68 },
                         "fee": 1200, "etaMinutes": 40 })),
        )
        .await
        .expect(200);
    assert_eq!(
        (changed["kind"].as_str(), changed["area"].is_null()),
        (Some("radius"), true)
    );
    let listed = app.get(&path, &waiter).await.expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["fee"], 1200);

    // Archived: gone from the list and from quotes.
    always_open(&app).await;
    quote(&app, riyadh, 24.69, 46.68).await.expect(200);
    app.post(
        &format!("/api/delivery-zones/{id}/archive"),
        Some(&manager),
        json!({}),
    )
    .await
    .expect(200);
    assert!(
        app.get(&path, &waiter)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get(&format!("{path}?archived=true"), &waiter)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        quote(&app, riyadh, 24.69, 46.68).await.code(),
        "outside_delivery_zone"
    );

    // Another brand's owner cannot see or change them.
    let (other, _, _) = app.other_tenant("rival").await;
    assert_eq!(app.get(&path, &other).await.status, 404);
    assert_eq!(
        app.post(
            &format!("/api/delivery-zones/{id}/archive"),
            Some(&other),
            json!({})
        )
        .await
        .status,
        404
    );
}

fn delivery_order(m: &Value, branch: Uuid, lat: f64, lng: f64, quantity: u32) -> Value {
    json!({ "branchId": branch, "type": "delivery",
            "lines": [line(m, "Classic Beef Burger", quantity)],
            "delivery": { "address": "King Fahd Rd 12, Olaya", "notes": "Gate 3", "lat": lat, "lng": lng } })
}

async fn nothing_written(app: &TestApp) {
    for table in ["orders", "order_deliveries", "journal_entries"] {
        assert_eq!(
            app.scalar(&format!("select count(*) from {table}")).await,
            0,
            "{table} is untouched"
        );
    }
}

#[tokio::test]
async fn a_delivery_outside_every_zone_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    always_open(&app).await;
    let riyadh = app.demo.riyadh;
    let (owner, customer) = (app.owner().await, app.token(Role::Customer).await);
    add_zone(
        &app,
        &owner,
        riyadh,
        json!({ "name": "Olaya", "area": l_shape(), "fee": 900, "etaMinutes": 35 }),
    )
    .await;
    let m = menu(&app, riyadh).await;
    let outside = key();
    let res = place(
        &app,
        &customer,
        &outside,
        &delivery_order(&m, riyadh, 24.68, 46.68, 1),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (422, "outside_delivery_zone"),
        "{}",
        res.body
    );
    nothing_written(&app).await;

    // A delivery without an address, and a takeaway with one: refused too.
    let mut no_address = delivery_order(&m, riyadh, 24.62, 46.62, 1);
    no_address.as_object_mut().unwrap().remove("delivery");
    let res = place(&app, &customer, &key(), &no_address).await;
    assert_eq!(res.status, 422);
    assert!(res.body["errors"]["delivery"].is_array(), "{}", res.body);
    let mut takeaway = delivery_order(&m, riyadh, 24.62, 46.62, 1);
    takeaway["type"] = json!("takeaway");
    let res = place(&app, &customer, &key(), &takeaway).await;
    assert_eq!(res.status, 422);
    assert!(res.body["errors"]["delivery"].is_array(), "{}", res.body);
    let mut wild = delivery_order(&m, riyadh, 24.62, 46.62, 1);
    wild["delivery"]["lng"] = json!(181);
    assert_eq!(place(&app, &customer, &key(), &wild).await.status, 422);
    nothing_written(&app).await;

    // The same key once inside: the earlier refusal is not stored against it.
    place(
        &app,
        &customer,
        &outside,
        &delivery_order(&m, riyadh, 24.62, 46.62, 1),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn the_zone_fee_is_in_the_total_and_the_books_and_its_minimum_applies() {
    let app = spawn_app().await;
    always_open(&app).await;
    let riyadh = app.demo.riyadh;
    let (owner, customer) = (app.owner().await, app.token(Role::Customer).await);
    let m = menu(&app, riyadh).await;
    // One burger is under the minimum, two are over it: the price from a website cart for
    // delivery, which the test checks out at the end.
    let cart = app
        .post(
            "/api/carts",
            Some(&customer),
            json!({ "branchId": riyadh, "type": "delivery" }),
        )
        .await
        .expect(201);
    let cart = cart["id"].as_str().unwrap().to_string();
    let with_one = app
        .post(
            &format!("/api/carts/{cart}/lines"),
            Some(&customer),
            line(&m, "Classic Beef Burger", 2),
        )
        .await
        .expect(201);
    let burger = with_one["totals"]["itemsGross"].as_i64().unwrap() / 2;
    let zone = add_zone(
        &app,
        &owner,
        riyadh,
        json!({ "name": "Olaya", "area": l_shape(), "fee": 1150, "minimumOrder": burger + 1, "etaMinutes": 35 }),
    )
    .await;

    let res = place(
        &app,
        &customer,
        &key(),
        &delivery_order(&m, riyadh, 24.62, 46.62, 1),
    )
    .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (422, "below_delivery_minimum"),
        "{}",
        res.body
    );
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains(&(burger + 1).to_string())
    );
    nothing_written(&app).await;

    let order = place(
        &app,
        &customer,
        &key(),
        &delivery_order(&m, riyadh, 24.62, 46.62, 2),
    )
    .await
    .expect(201);
    let t = &order["totals"];
    assert_eq!(t["deliveryFee"], 1150);
    // The demo brand's prices include VAT: the total is the items plus the fee.
    assert_eq!(order["total"].as_i64().unwrap(), 2 * burger + 1150);
    let fee_vat = t["deliveryFeeVat"].as_i64().unwrap();
    assert_eq!(fee_vat, (1150.0 * 0.15 / 1.15_f64).round() as i64);
    let id = order["id"].as_str().unwrap();
    let booked: i64 = sqlx::query_scalar(
        "select coalesce(sum(l.amount), 0)::bigint from journal_lines l \
         join journal_entries e on e.id = l.entry_id join ledger_accounts a on a.id = l.account_id \
         where e.reference_id = $1::uuid and a.code = 'delivery_revenue'",
    )
    .bind(id)
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    assert_eq!(
        booked,
        -(1150 - fee_vat),
        "the fee net of VAT is credited to delivery revenue"
    );
    let (zone_id, fee, code): (Uuid, i64, String) = sqlx::query_as(
        "select zone_id, fee, handover_code from order_deliveries where order_id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&mut app.db.owner_conn().await)
    .await
    .unwrap();
    assert_eq!(
        (zone_id.to_string().as_str(), fee),
        (zone["id"].as_str().unwrap(), 1150)
    );
    assert!(code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()));

    // The website cart checked out for delivery gets the same fee.
    let res = app
        .client
        .post(format!("{}/api/carts/{cart}/checkout", app.base))
        .bearer_auth(&customer)
        .header("idempotency-key", key())
        .json(&json!({ "delivery": { "address": "Tahlia St 4", "lat": 24.61, "lng": 46.61 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["totals"]["deliveryFee"], 1150);
    assert_eq!(app.scalar("select count(*) from order_deliveries").await, 2);
}
