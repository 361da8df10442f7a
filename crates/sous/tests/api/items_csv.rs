//! The items CSV is safe to open in a spreadsheet: a text cell that a spreadsheet would run as
//! a formula is exported with a leading `'`, and imports back as it was.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, category, find_item, menu_until, spawn_app};

async fn export(app: &TestApp, owner: &str) -> String {
    app.client
        .get(format!("{}/api/catalog/items.csv", app.base))
        .bearer_auth(owner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn import(app: &TestApp, owner: &str, csv: String) -> Value {
    let res = app
        .client
        .post(format!("{}/api/catalog/items.csv", app.base))
        .bearer_auth(owner)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn formula_like_cells_are_exported_as_text() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let header = export(&app, &owner)
        .await
        .lines()
        .next()
        .unwrap()
        .to_string();
    let hot_drinks = category(&app, &owner, "Hot Drinks").await;
    let row = format!(",{hot_drinks},-SKU1,=1+2,+966,@SUM(A1),,900,5,,,bar,120,true");
    import(&app, &owner, format!("{header}\n{row}\n")).await;

    let csv = export(&app, &owner).await;
    let exported = csv
        .lines()
        .find(|l| l.contains("=1+2"))
        .unwrap_or_else(|| panic!("{csv}"));
    for cell in ["'-SKU1", "'=1+2", "'+966", "'@SUM(A1)"] {
        assert!(
            exported.split(',').any(|c| c == cell),
            "{cell} in {exported}"
        );
    }
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "no cell starts a formula: {line}"
            );
        }
    }

    // The export imports back unchanged: the guard is not taken for part of the text.
    let done = import(&app, &owner, csv).await;
    assert_eq!(done["created"], 0, "{done}");
    let m = menu_until(&app, app.demo.riyadh, |m| find_item(m, "=1+2").is_some()).await;
    let item = find_item(&m, "=1+2").expect("the name kept as typed");
    assert_eq!(item["nameAr"], "+966");
    assert_eq!(item["description"], "@SUM(A1)");
}
