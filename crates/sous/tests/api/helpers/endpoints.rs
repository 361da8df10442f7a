//! Named calls of the endpoints many tests use: an order's status, payments and refunds, and
//! the kitchen's tickets, online payments through the simulated provider.

use serde_json::{Value, json};

use super::{Res, TestApp, key};

impl TestApp {
    /// `POST /api/orders/{id}/status`: moves order `id` to `to`, with a reason or without.
    pub async fn set_status(&self, token: &str, id: &str, to: &str, reason: Option<&str>) -> Res {
        self.post(
            &format!("/api/orders/{id}/status"),
            Some(token),
            json!({ "status": to, "reason": reason }),
        )
        .await
    }

    /// The status of order `id`, as `token` sees it.
    pub async fn order_status(&self, token: &str, id: &str) -> String {
        self.get(&format!("/api/orders/{id}"), token)
            .await
            .expect(200)["status"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `POST /api/orders/{order}/payments` with the idempotency key `key`.
    pub async fn pay(&self, token: &str, order: &str, key: &str, body: &Value) -> Res {
        pay_at(&self.base, token, order, key, body).await
    }

    /// Pays `amount` of `order` by card on the counter terminal, which must be taken (201); the
    /// payment.
    pub async fn pay_card(&self, token: &str, order: &str, amount: i64) -> Value {
        self.pay(token, order, &key(), &super::card(amount))
            .await
            .expect(201)
    }

    /// `POST /api/orders/{order}/refunds`: gives back `amount` of `payment` (one of the order's
    /// payments), with a manager's PIN or without.
    pub async fn refund(
        &self,
        token: &str,
        order: &Value,
        payment: &Value,
        amount: i64,
        pin: Option<&str>,
    ) -> Res {
        self.post(
            &format!("/api/orders/{}/refunds", order["id"].as_str().unwrap()),
            Some(token),
            json!({ "paymentId": payment["id"], "amount": amount, "reason": "cold food",
                    "managerPin": pin }),
        )
        .await
    }

    /// `POST /api/orders/{order}/payment-sessions`: opens a hosted online payment session.
    pub async fn open_payment_session(&self, token: &str, order: &str, body: Value) -> Res {
        let res = self
            .client
            .post(format!("{}/api/orders/{order}/payment-sessions", self.base))
            .bearer_auth(token)
            .header("idempotency-key", key())
            .json(&body)
            .send()
            .await
            .unwrap();
        unchecked(res).await
    }

    /// Answers the payment simulator's page as a browser would; the status and `Location`.
    pub async fn answer_simulator_page(&self, session_id: &str, outcome: &str) -> (u16, String) {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client
            .post(format!("{}/api/payments/simulator/pay", self.base))
            .form(&[("sessionId", session_id), ("outcome", outcome)])
            .send()
            .await
            .unwrap();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        (res.status().as_u16(), location)
    }

    /// The kitchen tickets of order `id`.
    pub async fn tickets_of(&self, token: &str, id: &str) -> Vec<Value> {
        self.get(&format!("/api/orders/{id}/kitchen-tickets"), token)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .clone()
    }

    /// `POST /api/kitchen/tickets/{ticket}/{what}`: bump, recall, start…
    pub async fn ticket_action(&self, token: &str, ticket: &Value, what: &str) -> Res {
        self.post(
            &format!(
                "/api/kitchen/tickets/{}/{what}",
                ticket["id"].as_str().unwrap()
            ),
            Some(token),
            json!({}),
        )
        .await
    }
}

/// `POST /api/orders/{order}/payments` on the server at `base` (one a test may kill while the
/// call hangs, so it keeps no connection of the app's client), the answer taken as it comes.
pub async fn pay_at(base: &str, token: &str, order: &str, key: &str, body: &Value) -> Res {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/orders/{order}/payments"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    unchecked(res).await
}

/// An answer as it comes, without the checks of [`TestApp::call`]: the tests of placement and
/// payment look at every answer themselves.
pub async fn unchecked(res: reqwest::Response) -> Res {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Res {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// The ticket of `station` among `tickets`.
pub fn at<'a>(tickets: &'a [Value], station: &str) -> &'a Value {
    tickets
        .iter()
        .find(|t| t["station"] == station)
        .unwrap_or_else(|| panic!("no {station} ticket in {tickets:?}"))
}
