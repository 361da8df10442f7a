//! A sold-out item reaches the branch's tills at once: 86 and un-86 are events on the branch's
//! `orders` stream, for staff only.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{SseClient, find_item, menu, spawn_app};

#[tokio::test]
async fn the_tills_of_the_branch_hear_an_item_sold_out_and_back() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let m = menu(&app, riyadh).await;
    let item = find_item(&m, "Fattoush").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cashier = app.cashier().await;
    let mut till = SseClient::branch_orders(&app, riyadh, &cashier).await;
    let guest = app.guest_token(riyadh).await;
    let mut guest_stream = SseClient::branch_orders(&app, riyadh, &guest).await;

    let path = format!("/api/branches/{riyadh}/catalog/items/{item}/sold-out");
    app.post(&path, Some(&cashier), json!({})).await.expect(200);
    let e = till.next_of("menu.item_sold_out").await;
    assert_eq!(e["payload"]["itemId"], item.as_str());
    assert_eq!(e["payload"]["soldOut"], true);
    assert_eq!(e["stream"], format!("menu:{riyadh}"));

    app.call(Method::DELETE, &path, Some(&cashier), None)
        .await
        .expect(204);
    let e = till.next_of("menu.item_back").await;
    assert_eq!(e["payload"]["itemId"], item.as_str());

    // A guest following their own orders hears nothing of the kitchen's stock.
    assert!(
        guest_stream
            .next(std::time::Duration::from_millis(500))
            .await
            .is_none(),
        "a guest's stream carries no stock events"
    );
}
