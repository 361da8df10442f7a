//! The one error type of the API. Every error becomes an RFC 9457 problem+json response with a
//! stable `code`; database and internal errors are logged and answered with an opaque 500.

use std::{borrow::Cow, collections::BTreeMap};

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// 403 for a reason the caller can act on (e.g. `manager_pin_required`: a manager's PIN
    /// would allow it), rather than a plain "not yours".
    #[error("forbidden: {code}")]
    Denied {
        code: &'static str,
        detail: Cow<'static, str>,
    },
    #[error("conflict: {code}")]
    Conflict {
        code: &'static str,
        detail: Cow<'static, str>,
    },
    #[error("bad request: {code}")]
    BadRequest {
        code: &'static str,
        detail: Cow<'static, str>,
    },
    /// A well-formed request the business cannot accept (422) for a reason with its own code
    /// (e.g. `outside_delivery_zone`), rather than a field that is wrong.
    #[error("unprocessable: {code}")]
    Unprocessable {
        code: &'static str,
        detail: Cow<'static, str>,
    },
    /// Input that parsed but is not acceptable; `fields` maps a field path to its messages.
    #[error("validation failed")]
    Validation {
        fields: BTreeMap<String, Vec<String>>,
    },
    /// A context's own answer, with the status and code that context gives it (payments: a card
    /// declined is a 402, a provider that did not answer a 503 or 504). The kernel knows no
    /// context's reasons; it only renders them.
    #[error("{code}: {detail}")]
    Status {
        status: StatusCode,
        code: &'static str,
        detail: Cow<'static, str>,
    },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The server is at a capacity limit of its own (e.g. concurrent password hashing), not the
    /// caller's: 503 with `Retry-After`.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

/// The problem+json body. `errors` is present for validation problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

impl Error {
    pub fn conflict(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn denied(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::Denied {
            code,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::Unprocessable {
            code,
            detail: detail.into(),
        }
    }

    /// An error with a status and code of the caller's (see [`Error::Status`]).
    pub fn with_status(
        status: StatusCode,
        code: &'static str,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Status {
            status,
            code,
            detail: detail.into(),
        }
    }

    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), vec![message.into()]);
        Self::Validation { fields }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Denied { .. } => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation { .. } | Self::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Status { status, .. } => *status,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Sqlx(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Status { code, .. } => code,
            Self::Unauthorized(code) => code,
            Self::Forbidden => "forbidden",
            Self::Conflict { code, .. }
            | Self::Denied { code, .. }
            | Self::BadRequest { code, .. }
            | Self::Unprocessable { code, .. } => code,
            Self::Validation { .. } => "validation_failed",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Busy { .. } => "busy",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Sqlx(_) | Self::Internal(_) => "internal",
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        let (detail, errors) = match self {
            Self::Conflict { detail, .. }
            | Self::Denied { detail, .. }
            | Self::BadRequest { detail, .. }
            | Self::Unprocessable { detail, .. }
            | Self::Status { detail, .. } => (Some(detail.to_string()), None),
            Self::Validation { fields } => (
                Some("the request has invalid fields".to_string()),
                Some(fields.clone()),
            ),
            Self::TooManyRequests { retry_after_secs } | Self::Busy { retry_after_secs } => {
                (Some(format!("retry after {retry_after_secs} s")), None)
            }
            _ => (None, None),
        };
        Problem {
            kind: format!("https://sous.dev/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            code: self.code().to_string(),
            detail,
            errors,
        }
    }
}

impl From<garde::Report> for Error {
    fn from(report: garde::Report) -> Self {
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, err) in report.iter() {
            let key = camel_path(&path.to_string());
            let key = if key.is_empty() { "body".into() } else { key };
            fields
                .entry(key)
                .or_default()
                .push(err.message().to_string());
        }
        Self::Validation { fields }
    }
}

/// garde names fields as they are in Rust (`opening_hours`); the API names them as they are in
/// JSON (`openingHours`, every schema being camelCase). Map keys in brackets are kept as they are.
fn camel_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0u32;
    let mut upper = false;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0
            && c == '_'
            && out
                .chars()
                .last()
                .is_some_and(|p| p.is_ascii_alphanumeric())
        {
            upper = true;
            continue;
        }
        if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Maps a violated named constraint to a clear 4xx; anything else stays a database error.
pub trait ResultExt<T> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> Error) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> Error) -> Result<T> {
        self.map_err(|e| match e.into() {
            Error::Sqlx(sqlx::Error::Database(db)) if db.constraint() == Some(name) => f(),
            other => other,
        })
    }
}

impl Problem {
    /// A problem that only names its status (for answers made by middleware).
    pub fn for_status(status: StatusCode) -> Self {
        let code = status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        Self {
            kind: format!("https://sous.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            code,
            detail: None,
            errors: None,
        }
    }
}

pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let mut res = (status, Json(problem)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Self::Sqlx(e) => tracing::error!(error = %e, "database error"),
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            _ => {}
        }
        let mut res = problem_response(self.status(), &self.problem());
        if let Self::TooManyRequests { retry_after_secs } | Self::Busy { retry_after_secs } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_text() {
        let e = Error::Internal(anyhow::anyhow!("password=hunter2 at line 3"));
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert_eq!(p.code, "internal");
        assert!(p.detail.is_none());
    }

    #[test]
    fn garde_paths_are_named_as_in_json() {
        assert_eq!(camel_path("opening_hours"), "openingHours");
        assert_eq!(camel_path("lines[0].product_id"), "lines[0].productId");
        assert_eq!(camel_path("names[en_US]"), "names[en_US]");
        assert_eq!(camel_path("name"), "name");
    }

    #[test]
    fn validation_lists_fields() {
        let e = Error::invalid("email", "must be an email address");
        let p = e.problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors.unwrap()["email"], vec!["must be an email address"]);
    }
}
