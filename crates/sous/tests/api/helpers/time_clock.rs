//! The time clock's calls, and times for its corrections.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use super::{Res, TestApp};

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
