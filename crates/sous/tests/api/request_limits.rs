//! Lists in request bodies are capped (a 422 naming the list), and the public price check is
//! answered from the cached, already decoded menu rather than decoding the menu per call.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Res, TestApp, key, line, menu, place, spawn_app};

async fn price(app: &TestApp, body: Value) -> Res {
    app.post(
        &format!("/api/branches/{}/menu/price", app.demo.riyadh),
        None,
        body,
    )
    .await
}

fn ids(n: usize) -> Vec<Uuid> {
    (0..n).map(|_| Uuid::now_v7()).collect()
}

#[track_caller]
fn names(res: &Res, field: &str) {
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body["errors"][field].is_array(),
        "the 422 names {field}: {}",
        res.body
    );
}

#[tokio::test]
async fn long_lists_are_refused_naming_the_list() {
    let app = spawn_app().await;
    let m = menu(&app, app.demo.riyadh).await;
    let tea = line(&m, "Karak Tea", 1);
    let product = tea["productId"].clone();

    let res = price(&app, json!({ "productId": product, "options": ids(51) })).await;
    names(&res, "selection.options");
    let slots: Vec<Value> = (0..11)
        .map(|_| json!({ "slotId": Uuid::now_v7(), "itemId": Uuid::now_v7() }))
        .collect();
    let res = price(&app, json!({ "productId": product, "slots": slots })).await;
    names(&res, "selection.slots");
    let slot = json!({ "slotId": Uuid::now_v7(), "itemId": Uuid::now_v7(), "options": ids(51) });
    let res = price(&app, json!({ "productId": product, "slots": [slot] })).await;
    names(&res, "selection.slots[0].options");
    // Fifty options are within the cap: refused by the menu (they are not the item's), not by
    // their number.
    let res = price(&app, json!({ "productId": product, "options": ids(50) })).await;
    names(&res, "selection");

    // The same caps on an order's lines.
    let cashier = app.cashier().await;
    let mut long = tea.clone();
    long["options"] = json!(ids(51));
    let res = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": app.demo.riyadh, "type": "takeaway", "lines": [long] }),
    )
    .await;
    names(&res, "lines[0].selection.options");
    let res = place(
        &app,
        &cashier,
        &key(),
        &json!({ "branchId": app.demo.riyadh, "type": "takeaway",
                 "lines": vec![tea.clone(); 101] }),
    )
    .await;
    names(&res, "lines");
    // A duplicate among many options is found (and named) as before.
    let mut twice = tea.clone();
    let first = tea["options"][0].clone();
    twice["options"] = json!([first, first]);
    let res = price(
        &app,
        json!({ "productId": product, "options": twice["options"] }),
    )
    .await;
    names(&res, "selection");
    assert!(
        res.body.to_string().contains("chosen twice"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn the_price_check_reads_the_decoded_cached_menu() {
    let app = spawn_app().await;
    let m = menu(&app, app.demo.riyadh).await;
    let tea = line(&m, "Karak Tea", 1);
    let body = json!({ "productId": tea["productId"], "options": tea["options"] });
    let first = price(&app, body.clone()).await.expect(200);
    let decoded = catalog::cache::decodes();
    for _ in 0..40 {
        assert_eq!(price(&app, body.clone()).await.expect(200), first);
    }
    assert_eq!(
        catalog::cache::decodes(),
        decoded,
        "the menu was not decoded again for each price check"
    );
}
