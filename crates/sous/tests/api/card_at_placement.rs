//! A card with the order (`POST /api/orders` with a card tender): placed and charged once, also
//! under retries; a decline leaves the order placed and unpaid, named by `Location`, for another
//! tender; bad card tenders place nothing.

use platform::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{Res, TestApp, assert_books, key, line, menu, place, spawn_app};

async fn charged_at_terminal(app: &TestApp) -> i64 {
    app.scalar("select coalesce(sum(captured), 0)::bigint from simulator_terminal_charges")
        .await
}

fn with_card(body: &Value, tender: Value) -> Value {
    let mut b = body.clone();
    b["payment"] = tender;
    b
}

#[tokio::test]
async fn a_card_with_the_order_is_charged_once_and_a_decline_leaves_it_unpaid() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    let order = json!({ "branchId": riyadh, "type": "takeaway",
                        "lines": [line(&m, "Classic Beef Burger", 2), line(&m, "Karak Tea", 1)] });
    let card = json!({ "method": "card", "terminalId": "counter-1" });

    // Approved: the order and its card payment in one request.
    let k = key();
    let body = with_card(&order, card.clone());
    let paid = place(&app, &cashier, &k, &body).await.expect(201);
    let total = paid["total"].as_i64().unwrap();
    assert_eq!(
        total % 100,
        0,
        "the simulator approves amounts ending in 00"
    );
    assert_eq!(paid["paid"], total);
    assert_eq!(paid["due"], 0);
    assert_eq!(paid["payments"][0]["method"], "card");
    assert_eq!(paid["payments"][0]["terminalId"], "counter-1");
    assert_eq!(charged_at_terminal(&app).await, total);
    assert_books(&app).await;
    // A retry with the same key: the same order, paid, and no second charge.
    let again: Res = place(&app, &cashier, &k, &body).await;
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again = again.expect(201);
    assert_eq!(again["id"], paid["id"]);
    assert_eq!(again["payments"].as_array().unwrap().len(), 1);
    assert_eq!(charged_at_terminal(&app).await, total);
    assert_eq!(app.scalar("select count(*) from orders").await, 1);

    // Declined (a total ending in 51): the order stays placed and unpaid, and says where it is.
    let mut declined_order = order.clone();
    declined_order["tip"] = json!(51);
    let k = key();
    let body = with_card(&declined_order, card.clone());
    let res = place(&app, &cashier, &k, &body).await;
    assert_eq!(res.status, 402, "{}", res.body);
    let location = res.headers["location"].to_str().unwrap().to_string();
    let placed = app.get(&location, &cashier).await.expect(200);
    assert_eq!(placed["paid"], 0);
    assert_eq!(placed["due"], total + 51);
    // The same request again is declined again, on the same order.
    let res = place(&app, &cashier, &k, &body).await;
    assert_eq!(res.status, 402);
    assert_eq!(res.headers["location"].to_str().unwrap(), location);
    assert_eq!(app.scalar("select count(*) from orders").await, 2);
    // The guest pays cash instead.
    app.post(
        &format!("{location}/payments"),
        Some(&cashier),
        json!({ "method": "cash" }),
    )
    .await
    .expect(201);
    assert_eq!(charged_at_terminal(&app).await, total);
    assert_books(&app).await;

    // The terminal's answer is lost after it acted (a total ending in 52): 504, and the retry
    // with the same key carries on with that attempt — one charge — instead of starting another.
    let mut lost = order.clone();
    lost["tip"] = json!(52);
    let k = key();
    let body = with_card(&lost, card.clone());
    let res = place(&app, &cashier, &k, &body).await;
    assert_eq!(res.status, 504, "{}", res.body);
    let location = res.headers["location"].to_str().unwrap().to_string();
    let done = place(&app, &cashier, &k, &body).await.expect(201);
    assert_eq!(
        format!("/api/orders/{}", done["id"].as_str().unwrap()),
        location
    );
    assert_eq!(done["due"], 0);
    assert_eq!(done["payments"].as_array().unwrap().len(), 1);
    // One charge of total + 52 at the terminal, however often the till retries.
    assert_eq!(charged_at_terminal(&app).await, 2 * total + 52);
    let again = place(&app, &cashier, &k, &body).await.expect(201);
    assert_eq!(again["payments"].as_array().unwrap().len(), 1);
    assert_eq!(charged_at_terminal(&app).await, 2 * total + 52);
    assert_books(&app).await;

    // Bad card tenders and callers place nothing.
    let guest = app.guest_token(riyadh).await;
    let entries = app.scalar("select count(*) from journal_entries").await;
    for (token, tender, status) in [
        (&cashier, json!({ "method": "card" }), 422),
        (
            &cashier,
            json!({ "method": "card", "terminalId": "counter-1", "amount": 100 }),
            422,
        ),
        (
            &cashier,
            json!({ "method": "card", "terminalId": "counter-1", "tendered": 100 }),
            422,
        ),
        (&guest, card.clone(), 403),
    ] {
        let res = place(&app, token, &key(), &with_card(&order, tender.clone())).await;
        assert_eq!(res.status, status, "{tender}: {}", res.body);
    }
    let kitchen = app.token(Role::Kitchen).await;
    assert_eq!(
        place(&app, &kitchen, &key(), &with_card(&order, card.clone()))
            .await
            .status,
        403
    );
    assert_eq!(app.scalar("select count(*) from orders").await, 3);
    assert_eq!(
        app.scalar("select count(*) from journal_entries").await,
        entries
    );
}
