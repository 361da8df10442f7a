//! Settlements: a provider's payout moves card money from the branch's clearing account to the
//! bank less its fees, once per payout reference, never more than the clearing account holds;
//! the clearing balance stays equal to the payments not settled yet.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Res, TestApp, assert_books, key, line, menu, place, spawn_app};

async fn settle(app: &TestApp, token: &str, branch: Uuid, body: Value) -> Res {
    app.post(
        &format!("/api/branches/{branch}/settlements"),
        Some(token),
        body,
    )
    .await
}

fn payout(reference: &str, gross: i64, fees: i64) -> Value {
    json!({ "method": "card", "reference": reference, "gross": gross, "fees": fees,
            "settledOn": "2026-11-25" })
}

async fn clearing(app: &TestApp, token: &str, branch: Uuid) -> Value {
    app.get(&format!("/api/branches/{branch}/settlements"), token)
        .await
        .expect(200)
}

#[tokio::test]
async fn a_card_payout_moves_clearing_to_the_bank_once() {
    let app = spawn_app().await;
    let (riyadh, dubai) = (app.demo.riyadh, app.demo.dubai);
    let owner = app.owner().await;
    let cashier = app.cashier().await;
    let m = menu(&app, riyadh).await;
    for amount in [2000, 3000] {
        let order = place(
            &app,
            &cashier,
            &key(),
            &json!({ "branchId": riyadh, "type": "takeaway",
                     "lines": [line(&m, "Classic Beef Burger", 3)] }),
        )
        .await
        .expect(201);
        app.pay_card(&cashier, order["id"].as_str().unwrap(), amount)
            .await;
    }
    let view = clearing(&app, &owner, riyadh).await;
    assert_eq!(
        view["clearing"][0],
        json!({ "method": "card", "books": 5000, "unsettled": 5000 })
    );
    assert_eq!(
        view["clearing"][1],
        json!({ "method": "online", "books": 0, "unsettled": 0 })
    );

    // Refusals first: none of them writes anything.
    let (other, _, _) = app.other_tenant("other-payouts").await;
    let entries = app.scalar("select count(*) from journal_entries").await;
    for (token, branch, body, status) in [
        (&cashier, riyadh, payout("B-1", 1000, 10), 403),
        (&other, riyadh, payout("B-1", 1000, 10), 404),
        (&owner, riyadh, payout("B-1", 5001, 10), 422),
        (&owner, riyadh, payout("B-1", 1000, 1001), 422),
        (&owner, riyadh, payout("B-1", 0, 0), 422),
        (&owner, riyadh, payout("", 1000, 0), 422),
        (&owner, dubai, payout("B-1", 1000, 10), 422),
        (
            &owner,
            riyadh,
            json!({ "method": "online", "reference": "O-1", "gross": 1, "fees": 0,
                    "settledOn": "2026-11-25" }),
            422,
        ),
        (
            &owner,
            riyadh,
            json!({ "method": "cash", "reference": "C-1", "gross": 1, "fees": 0,
                    "settledOn": "2026-11-25" }),
            422,
        ),
    ] {
        let res = settle(&app, token, branch, body.clone()).await;
        assert_eq!(res.status, status, "{body}: {}", res.body);
    }
    assert_eq!(
        app.scalar("select count(*) from journal_entries").await,
        entries
    );
    assert_eq!(app.scalar("select count(*) from settlements").await, 0);

    // The acquirer paid out 40.00 of it and kept 0.80.
    let s = settle(&app, &owner, riyadh, payout("B-1", 4000, 80))
        .await
        .expect(201);
    assert_eq!(s["net"], 3920);
    let view = clearing(&app, &owner, riyadh).await;
    assert_eq!(
        view["clearing"][0],
        json!({ "method": "card", "books": 1000, "unsettled": 1000 })
    );
    assert_eq!(view["settlements"][0]["reference"], "B-1");
    assert_books(&app).await;
    let lines = app
        .scalar(&format!(
            "select count(*) from journal_lines l join journal_entries e on e.id = l.entry_id \
             where e.kind = 'settlement' and e.reference_id = '{}'",
            s["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(lines, 3, "bank, fees, card clearing");

    // The same report again is the same payout; other figures under its reference are refused.
    let again = settle(&app, &owner, riyadh, payout("B-1", 4000, 80))
        .await
        .expect(200);
    assert_eq!(again["id"], s["id"]);
    let res = settle(&app, &owner, riyadh, payout("B-1", 1000, 0)).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.code(), "settlement_reference_taken");
    // What is left cannot be settled twice over.
    let res = settle(&app, &owner, riyadh, payout("B-2", 1001, 0)).await;
    assert_eq!(res.status, 422);

    // Five managers entering the next payout at once: one booking.
    let mut tasks = vec![];
    for _ in 0..5 {
        let (base, token) = (app.base.clone(), owner.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/branches/{riyadh}/settlements"))
                .bearer_auth(token)
                .json(&payout("B-2", 1000, 0))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 200, 200, 200, 201]);
    assert_eq!(
        app.scalar("select count(*) from journal_entries where kind = 'settlement'")
            .await,
        2
    );
    let view = clearing(&app, &owner, riyadh).await;
    assert_eq!(
        view["clearing"][0],
        json!({ "method": "card", "books": 0, "unsettled": 0 })
    );
    assert_books(&app).await;
}
