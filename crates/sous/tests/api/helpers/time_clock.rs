//! The time clock's calls, and staff to clock: a member added by the owner, a membership id.

use chrono::{DateTime, Duration, Utc};
use platform::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{PASSWORD, Res, TestApp};

impl TestApp {
    /// `POST /api/time-clock/{action}` (`in`, `out`, `break/start`, `break/end`) with `body`, or
    /// no body at all.
    pub async fn clock(&self, token: &str, action: &str, body: Option<Value>) -> Res {
        self.call(
            Method::POST,
            &format!("/api/time-clock/{action}"),
            Some(token),
            body,
        )
        .await
    }

    /// `GET /api/time-clock`, which must answer 200.
    pub async fn clock_state(&self, token: &str) -> Value {
        self.get("/api/time-clock", token).await.expect(200)
    }

    /// `GET /api/branches/{branch}/time-entries?{query}`.
    pub async fn timesheet(&self, token: &str, branch: Uuid, query: &str) -> Res {
        self.get(
            &format!("/api/branches/{branch}/time-entries?{query}"),
            token,
        )
        .await
    }

    /// `PUT /api/time-entries/{id}` with `body`.
    pub async fn correct_entry(&self, token: &str, id: &str, body: Value) -> Res {
        self.put(&format!("/api/time-entries/{id}"), token, body)
            .await
    }

    /// A new member with `role` at `branch`, added by the demo owner; their access token.
    pub async fn new_member(&self, email: &str, role: Role, branch: Uuid) -> String {
        let owner = self.owner().await;
        self.post(
            "/api/staff",
            Some(&owner),
            json!({ "email": email, "password": PASSWORD, "displayName": format!("New {}", role.as_str()),
                    "role": role, "branchId": branch }),
        )
        .await
        .expect(201);
        self.login_as(email).await["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The membership id of a demo account (what the staff routes take).
    pub async fn membership_id(&self, email: &str) -> Uuid {
        sqlx::query_scalar(
            "select m.id from memberships m join users u on u.id = m.user_id where u.email = $1",
        )
        .bind(email)
        .fetch_one(&mut self.db.owner_conn().await)
        .await
        .expect("a membership")
    }
}

/// 06:00 UTC `days` days ago (09:00 in Riyadh): a day safely in the past for corrections.
pub fn days_ago(days: i64) -> DateTime<Utc> {
    let day = (Utc::now() - Duration::days(days)).date_naive();
    day.and_hms_opt(6, 0, 0).unwrap().and_utc()
}

/// An RFC 3339 time `minutes` after `at`.
pub fn at_plus(at: DateTime<Utc>, minutes: i64) -> String {
    (at + Duration::minutes(minutes)).to_rfc3339()
}
