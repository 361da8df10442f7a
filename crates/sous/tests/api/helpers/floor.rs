//! The floor: a branch's tables by label, its floor as the POS reads it, and the calls that
//! seat a party and change its session.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{Res, TestApp, key};

impl TestApp {
    /// The id of the table labelled `label` at `branch` (not archived).
    pub async fn table_id(&self, branch: Uuid, label: &str) -> Uuid {
        sqlx::query_scalar(
            "select id from dining_tables where branch_id = $1 and label = $2 \
             and archived_at is null",
        )
        .bind(branch)
        .bind(label)
        .fetch_one(&mut self.db.owner_conn().await)
        .await
        .unwrap_or_else(|_| panic!("no table {label}"))
    }

    /// `GET /api/branches/{branch}/floor`, which must answer 200: the tables.
    pub async fn floor(&self, token: &str, branch: Uuid) -> Vec<Value> {
        self.get(&format!("/api/branches/{branch}/floor"), token)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .clone()
    }

    /// The table labelled `label` on the floor of `branch`.
    pub async fn floor_table(&self, token: &str, branch: Uuid, label: &str) -> Value {
        self.floor(token, branch)
            .await
            .into_iter()
            .find(|t| t["label"] == label)
            .unwrap_or_else(|| panic!("no {label} on the floor"))
    }

    /// The state of table `label` on the floor of `branch` (`free`, `seated`, …).
    pub async fn table_state(&self, token: &str, branch: Uuid, label: &str) -> String {
        self.floor_table(token, branch, label).await["state"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `POST /api/dining-tables/{table}/seat` with `guests`, the answer as it comes.
    pub async fn seat(&self, token: &str, table: Uuid, guests: i32) -> Res {
        self.post(
            &format!("/api/dining-tables/{table}/seat"),
            Some(token),
            json!({ "guests": guests }),
        )
        .await
    }

    /// Seats `guests` at table `label` of the demo Riyadh branch (201); the session.
    pub async fn seated(&self, token: &str, label: &str, guests: i32) -> Value {
        let table = self.table_id(self.demo.riyadh, label).await;
        self.seat(token, table, guests).await.expect(201)
    }

    /// `POST /api/table-sessions/{session}/{action}` (`transfer`, `move`, `merge`,
    /// `check-printed`, `close`) with `body`.
    pub async fn session_action(
        &self,
        token: &str,
        session: &Value,
        action: &str,
        body: Value,
    ) -> Res {
        self.post(
            &format!(
                "/api/table-sessions/{}/{action}",
                session["id"].as_str().unwrap()
            ),
            Some(token),
            body,
        )
        .await
    }

    /// A dine-in order of one burger at table `label` of the demo Riyadh branch, placed by
    /// `token` (201); the order.
    pub async fn order_at(&self, token: &str, label: &str) -> Value {
        self.order()
            .kind("dine_in")
            .table(label)
            .line("Classic Beef Burger", 1)
            .placed(token)
            .await
    }

    /// Pays the whole of `order` in cash (201): what is due, tendered exactly.
    pub async fn pay_cash(&self, token: &str, order: &Value) -> Value {
        let id = order["id"].as_str().unwrap();
        let due = self
            .get(&format!("/api/orders/{id}"), token)
            .await
            .expect(200)["due"]
            .clone();
        self.pay(
            token,
            id,
            &key(),
            &json!({ "method": "cash", "tendered": due }),
        )
        .await
        .expect(201)
    }

    /// Moves `order` on to `to` through every status between (placed → accepted → preparing →
    /// ready → served), each step 200.
    pub async fn advance(&self, token: &str, order: &Value, to: &str) {
        let id = order["id"].as_str().unwrap();
        for step in ["accepted", "preparing", "ready", "served"] {
            self.set_status(token, id, step, None).await.expect(200);
            if step == to {
                return;
            }
        }
        panic!("{to} is not a step of a dine-in order");
    }
}

/// An entry of `PUT /api/branches/{branch_id}/floor-plan`: table `id` at (`x`, `y`), a round
/// 120 × 90 turned 30°, five seats, in the "Hall".
pub fn placed_table(id: Uuid, x: i32, y: i32) -> Value {
    json!({ "id": id, "x": x, "y": y, "width": 120, "height": 90, "shape": "round",
            "rotation": 30, "seats": 5, "floorArea": "Hall" })
}
