//! Signing in: demo staff, customers and guests by token, and devices (a till, a kitchen
//! screen) by a signed PIN sign-in.

use platform::auth::{Role, signing};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{PASSWORD, Res, TestApp, branch_body, sign_up_body};

/// A registered device with a member signed in on it by PIN.
pub struct SignedInDevice {
    pub device: Uuid,
    /// The signed-in member's access token.
    pub token: String,
}

impl TestApp {
    pub async fn login_as(&self, email: &str) -> Value {
        self.post(
            "/api/auth/login",
            None,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
        .expect(200)
    }

    /// An access token for a demo staff member or the demo customer (an account of the demo
    /// brand, so its sign-in names the brand).
    pub async fn token(&self, role: Role) -> String {
        let pair = match role {
            Role::Customer => self
                .post(
                    "/api/auth/login",
                    None,
                    json!({ "email": identity::seed::DEMO_CUSTOMER, "password": PASSWORD,
                            "tenant": "demo" }),
                )
                .await
                .expect(200),
            r => self.login_as(&identity::seed::demo_email(r)).await,
        };
        pair["accessToken"].as_str().unwrap().to_string()
    }

    /// The demo Riyadh cashier's access token.
    pub async fn cashier(&self) -> String {
        self.token(Role::Cashier).await
    }

    /// The demo branch manager's access token.
    pub async fn manager(&self) -> String {
        self.token(Role::Manager).await
    }

    /// The demo owner's access token.
    pub async fn owner(&self) -> String {
        self.token(Role::Owner).await
    }

    /// A guest who scanned the QR code of a table of `branch` (`T1` where there is one): their
    /// session orders dine-in at that table.
    pub async fn guest_token(&self, branch: Uuid) -> String {
        let token: String = sqlx::query_scalar(
            "select qr_token from dining_tables where branch_id = $1 and archived_at is null \
             order by label = 'T1' desc, label limit 1",
        )
        .bind(branch)
        .fetch_one(&mut self.db.owner_conn().await)
        .await
        .expect("a table at the branch");
        self.post(&format!("/api/tables/{token}/join"), None, json!({}))
            .await
            .expect(200)["session"]["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A guest on the brand's website (no table: pickup or delivery).
    pub async fn website_guest_token(&self, branch: Uuid) -> String {
        self.post(
            "/api/auth/guest",
            None,
            json!({ "tenant": "demo", "branchId": branch }),
        )
        .await
        .expect(201)["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs up a customer of the demo brand; returns their access token.
    pub async fn new_customer(&self, email: &str) -> String {
        self.post(
            "/api/auth/customers",
            None,
            json!({ "tenant": "demo", "email": email, "password": PASSWORD,
                    "displayName": "A Customer" }),
        )
        .await
        .expect(201)["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs up another brand (`slug`) with one branch; returns (owner token, tenant id, branch id).
    pub async fn other_tenant(&self, slug: &str) -> (String, Uuid, Uuid) {
        let created = self
            .post("/api/tenants", None, sign_up_body(slug))
            .await
            .expect(201);
        let token = created["tokens"]["accessToken"]
            .as_str()
            .unwrap()
            .to_string();
        let tenant = created["tenant"]["id"].as_str().unwrap().parse().unwrap();
        let branch = self
            .post("/api/branches", Some(&token), branch_body("Other branch"))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (token, tenant, branch)
    }

    /// Registers a device at `branch` as the demo owner; returns (device id, secret bytes).
    pub async fn device(&self, branch: Uuid, kind: &str) -> (Uuid, Vec<u8>) {
        use base64::Engine;
        let owner = self.token(Role::Owner).await;
        let body = self
            .post(
                &format!("/api/branches/{branch}/devices"),
                Some(&owner),
                json!({ "kind": kind, "name": "Till 1" }),
            )
            .await
            .expect(201);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body["secret"].as_str().unwrap())
            .unwrap();
        (
            body["device"]["id"].as_str().unwrap().parse().unwrap(),
            secret,
        )
    }

    /// A till at `branch`: a POS device registered by the owner, and a PIN sign-in on it as the
    /// demo member whose PIN is `pin`.
    pub async fn till(&self, branch: Uuid, pin: &str) -> SignedInDevice {
        self.signed_in_device(branch, "pos", pin).await
    }

    /// A kitchen screen at `branch`, signed in with `pin` as [`Self::till`] is.
    pub async fn kitchen_screen(&self, branch: Uuid, pin: &str) -> SignedInDevice {
        self.signed_in_device(branch, "kds", pin).await
    }

    async fn signed_in_device(&self, branch: Uuid, kind: &str, pin: &str) -> SignedInDevice {
        let (device, secret) = self.device(branch, kind).await;
        let token = self.pin(device, &secret, pin).await.expect(200)["accessToken"]
            .as_str()
            .unwrap()
            .to_string();
        SignedInDevice { device, token }
    }

    /// The user id of a demo account.
    pub async fn user_id(&self, email: &str) -> Uuid {
        sqlx::query_scalar("select id from users where email = $1")
            .bind(email)
            .fetch_one(&mut self.db.owner_conn().await)
            .await
            .expect("demo user")
    }

    /// The demo staff member whose PIN is `pin` (the demo PINs differ); for any other PIN, the
    /// Riyadh cashier (a wrong guess at their PIN).
    pub async fn demo_pin_user(&self, pin: &str) -> Uuid {
        let email = identity::seed::DEMO_STAFF
            .iter()
            .find(|(_, p)| *p == pin)
            .map(|(role, _)| identity::seed::demo_email(*role))
            .or_else(|| {
                (identity::seed::DEMO_DUBAI_DRIVER.1 == pin)
                    .then(|| identity::seed::DEMO_DUBAI_DRIVER.0.to_string())
            })
            .unwrap_or_else(|| identity::seed::demo_email(Role::Cashier));
        self.user_id(&email).await
    }

    /// A PIN login on `device`, signed now, as the demo member `pin` belongs to (see
    /// [`Self::demo_pin_user`]).
    pub async fn pin(&self, device: Uuid, secret: &[u8], pin: &str) -> Res {
        let user = self.demo_pin_user(pin).await;
        self.pin_as(device, secret, user, pin).await
    }

    /// A PIN login on `device` as the member picked on its tile screen.
    pub async fn pin_as(&self, device: Uuid, secret: &[u8], user: Uuid, pin: &str) -> Res {
        self.signed_post(
            device,
            secret,
            "/api/auth/pin",
            &json!({ "userId": user, "pin": pin }),
            None,
        )
        .await
    }

    /// The staff tiles of `device`'s sign-in screen (a signed GET).
    pub async fn tiles(&self, device: Uuid, secret: &[u8]) -> Res {
        let path = "/api/auth/pin/staff";
        let ts = chrono::Utc::now().timestamp();
        let nonce = Uuid::new_v4().simple().to_string();
        let sig = signing::Request {
            method: "GET",
            path_and_query: path,
            timestamp: ts,
            nonce: &nonce,
            body: b"",
        }
        .sign(secret);
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header(signing::DEVICE_HEADER, device.to_string())
            .header(signing::TIMESTAMP_HEADER, ts.to_string())
            .header(signing::SIGNATURE_HEADER, sig)
            .header(signing::NONCE_HEADER, nonce)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
        }
    }

    /// Sends a device-signed POST; `timestamp` defaults to now.
    pub async fn signed_post(
        &self,
        device: Uuid,
        secret: &[u8],
        path: &str,
        body: &Value,
        timestamp: Option<i64>,
    ) -> Res {
        let bytes = serde_json::to_vec(body).unwrap();
        let ts = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp());
        let nonce = Uuid::new_v4().simple().to_string();
        let sig = sign(secret, path, ts, &nonce, &bytes);
        self.signed_raw(device, path, bytes, ts, &nonce, &sig).await
    }

    pub async fn signed_raw(
        &self,
        device: Uuid,
        path: &str,
        bytes: Vec<u8>,
        ts: i64,
        nonce: &str,
        sig: &str,
    ) -> Res {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header(signing::DEVICE_HEADER, device.to_string())
            .header(signing::TIMESTAMP_HEADER, ts.to_string())
            .header(signing::SIGNATURE_HEADER, sig)
            .header(signing::NONCE_HEADER, nonce)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
        }
    }
}

/// A device signature of a POST.
pub fn sign(secret: &[u8], path: &str, ts: i64, nonce: &str, body: &[u8]) -> String {
    signing::Request {
        method: "POST",
        path_and_query: path,
        timestamp: ts,
        nonce,
        body,
    }
    .sign(secret)
}
