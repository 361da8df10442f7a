//! The common fixtures: the branch menu and lines taken from it, orders (placed by hand or
//! with [`TestApp::order`]), delivery zones, counts in the database and the check that the
//! books agree with the orders.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Res, TestApp, key};

/// Refunds and discounts above 50.00 need a manager.
pub const APPROVAL: i64 = 5_000;

/// The item called `name` anywhere on a branch menu.
pub fn find_item<'a>(menu: &'a Value, name: &str) -> Option<&'a Value> {
    menu["menus"]
        .as_array()?
        .iter()
        .flat_map(|m| m["categories"].as_array().into_iter().flatten())
        .flat_map(|c| c["items"].as_array().into_iter().flatten())
        .find(|i| i["name"] == name)
}

pub fn all_items(menu: &Value) -> Vec<&Value> {
    menu["menus"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["categories"].as_array().into_iter().flatten())
        .flat_map(|c| c["items"].as_array().into_iter().flatten())
        .collect()
}

pub async fn menu(app: &TestApp, branch: Uuid) -> Value {
    app.call(
        Method::GET,
        &format!("/api/branches/{branch}/menu"),
        None,
        None,
    )
    .await
    .expect(200)
}

/// The branch's menu once `ok` holds for it (a change reaches the cached menu within moments).
pub async fn menu_until(app: &TestApp, branch: Uuid, ok: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let m = menu(app, branch).await;
        if ok(&m) {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the menu did not change");
}

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

/// The demo brand's id for a category key of the seed.
pub async fn category(app: &TestApp, owner: &str, name: &str) -> Uuid {
    let catalog = app.get("/api/catalog", owner).await.expect(200);
    catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| c["key"].as_str().unwrap().parse().unwrap())
        .unwrap_or_else(|| panic!("no category {name}"))
}

pub fn item_body(category: Uuid, name: &str, price: i64) -> Value {
    json!({
        "categoryId": category, "name": name, "nameAr": "صنف", "price": price,
        "calories": 420, "allergens": ["gluten"], "station": "grill", "prepSeconds": 300
    })
}

/// The options a guest who takes the defaults would send for `item`: each required group's
/// defaults (or first options) up to its minimum.
pub fn default_options(m: &Value, item: &Value) -> Vec<Value> {
    let mut chosen = vec![];
    for gid in item["modifierGroupIds"].as_array().unwrap() {
        let group = m["modifierGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| &g["id"] == gid)
            .unwrap();
        let min = group["minSelect"].as_u64().unwrap() as usize;
        let mut options: Vec<&Value> = group["options"].as_array().unwrap().iter().collect();
        options.sort_by_key(|o| o["default"] != true);
        chosen.extend(options.iter().take(min).map(|o| o["id"].clone()));
    }
    chosen
}

pub fn line(m: &Value, name: &str, quantity: u32) -> Value {
    let item = find_item(m, name).unwrap_or_else(|| panic!("no {name}"));
    json!({ "productId": item["id"], "options": default_options(m, item), "quantity": quantity })
}

/// `POST /api/orders` with the idempotency key `key`. The answer is taken as it comes (tests of
/// placement look at every answer themselves).
pub async fn place(app: &TestApp, token: &str, key: &str, body: &Value) -> Res {
    let res = app
        .client
        .post(format!("{}/api/orders", app.base))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    super::unchecked(res).await
}

/// A card tender on the simulated counter terminal.
pub fn card(amount: i64) -> Value {
    json!({ "method": "card", "terminalId": "counter-1", "amount": amount })
}

#[derive(Clone)]
enum Line {
    /// `quantity` of the menu item called so, with its default options.
    Named(String, u32),
    /// A line made by the test (with notes, a seat or a course).
    Made(Value),
}

/// An order to place: takeaway at the demo Riyadh branch unless told otherwise.
#[derive(Clone)]
pub struct NewOrder<'a> {
    app: &'a TestApp,
    branch: Uuid,
    kind: &'static str,
    table: Option<String>,
    lines: Vec<Line>,
    delivery: Option<Value>,
}

impl TestApp {
    /// An order to build and place, e.g. `app.order().line("Classic Beef Burger", 6)
    /// .placed(&token)`.
    pub fn order(&self) -> NewOrder<'_> {
        NewOrder {
            app: self,
            branch: self.demo.riyadh,
            kind: "takeaway",
            table: None,
            lines: vec![],
            delivery: None,
        }
    }

    /// Guests' QR orders at `branch` wait for staff to accept them (the default accepts them
    /// as they are placed), for tests of what happens before the kitchen has an order.
    pub async fn qr_orders_wait_for_staff(&self, branch: Uuid) {
        let owner = self.owner().await;
        self.call(
            reqwest::Method::PUT,
            &format!("/api/branches/{branch}/order-acceptance"),
            Some(&owner),
            Some(json!({ "rules": [{ "channel": "qr", "mode": "staff", "timeoutMinutes": 120 }] })),
        )
        .await
        .expect(200);
    }

    /// The whole number a query of one row and one column answers, such as a count.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let mut conn = self.db.owner_conn().await;
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

impl NewOrder<'_> {
    pub fn branch(mut self, branch: Uuid) -> Self {
        self.branch = branch;
        self
    }

    /// The order type: `takeaway`, `dine_in`, `pickup` or `delivery`.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub fn table(mut self, label: &str) -> Self {
        self.table = Some(label.into());
        self
    }

    /// `quantity` of the branch menu's item `name`, with its default options.
    pub fn line(mut self, name: &str, quantity: u32) -> Self {
        self.lines.push(Line::Named(name.into(), quantity));
        self
    }

    /// A line the test made itself, e.g. a [`line`] with notes or a seat.
    pub fn with_line(mut self, line: Value) -> Self {
        self.lines.push(Line::Made(line));
        self
    }

    /// A delivery to `address` at (lat, lng).
    pub fn delivery(mut self, address: &str, lat: f64, lng: f64) -> Self {
        self.kind = "delivery";
        self.delivery = Some(json!({ "address": address, "lat": lat, "lng": lng }));
        self
    }

    /// The body of `POST /api/orders`, its lines taken from the branch's menu as it is now.
    pub async fn body(&self) -> Value {
        let m = menu(self.app, self.branch).await;
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| match l {
                Line::Named(name, quantity) => line(&m, name, *quantity),
                Line::Made(made) => made.clone(),
            })
            .collect();
        let mut body = json!({ "branchId": self.branch, "type": self.kind, "lines": lines });
        if let Some(table) = &self.table {
            body["table"] = json!(table);
        }
        if let Some(delivery) = &self.delivery {
            body["delivery"] = delivery.clone();
        }
        body
    }

    /// Places the order with a fresh idempotency key.
    pub async fn place(&self, token: &str) -> Res {
        place(self.app, token, &key(), &self.body().await).await
    }

    /// Places the order, which must be taken (201); the order.
    pub async fn placed(&self, token: &str) -> Value {
        self.place(token).await.expect(201)
    }

    /// The id of the order placed as [`Self::placed`].
    pub async fn placed_id(&self, token: &str) -> String {
        self.placed(token).await["id"].as_str().unwrap().to_string()
    }

    /// Places the order paid in cash with it (201); the order with its payment.
    pub async fn paid_cash(&self, token: &str) -> Value {
        let mut body = self.body().await;
        body["payment"] = json!({ "method": "cash" });
        place(self.app, token, &key(), &body).await.expect(201)
    }
}

/// The demo branches keep real opening hours; the tests must not depend on the time of day
/// they run at, so they open the branch around the clock (no hours set).
pub async fn always_open(app: &TestApp) {
    sqlx::query("update branches set opening_hours = '{}'")
        .execute(&mut app.db.owner_conn().await)
        .await
        .unwrap();
}

/// An L-shaped (concave) zone: the square 46.60…46.70 × 24.60…24.70 without its north-east
/// quarter.
pub fn l_shape() -> Value {
    json!({ "type": "Polygon", "coordinates": [[
        [46.60, 24.60], [46.70, 24.60], [46.70, 24.65], [46.65, 24.65],
        [46.65, 24.70], [46.60, 24.70], [46.60, 24.60]
    ]] })
}

pub async fn add_zone(app: &TestApp, token: &str, branch: Uuid, body: Value) -> Value {
    app.post(
        &format!("/api/branches/{branch}/delivery-zones"),
        Some(token),
        body,
    )
    .await
    .expect(201)
}

/// The books balance, and the ledger agrees with the orders and payments.
pub async fn assert_books(app: &TestApp) {
    let mut tx = app
        .state
        .db
        .begin(platform::db::TenantScope::tenant(app.demo.tenant_id))
        .await
        .unwrap();
    let all = payments::reconcile::reconcile_all(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    // Each currency balances and reconciles on its own.
    for r in all {
        assert_eq!(r["books"]["trialBalance"], 0, "{r}");
        for k in [
            "receivable",
            "cash",
            "card",
            "online",
            "bank",
            "fees",
            "vat",
            "tips",
        ] {
            assert_eq!(r["books"][k], r["orders"][k], "{k}: {r}");
        }
    }
}
