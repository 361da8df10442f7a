//! The answers that only payments gives: a provider's decline, and a provider that did not
//! answer. They are kernel errors with a status of their own (`Error::Status`), so every
//! handler renders them as problem+json like any other.

use std::borrow::Cow;

use axum::http::StatusCode;
use platform::error::Error;

/// The provider refused the payment (402); `detail` names its decline.
pub fn declined(detail: impl Into<Cow<'static, str>>) -> Error {
    Error::with_status(StatusCode::PAYMENT_REQUIRED, "payment_declined", detail)
}

/// The provider may have acted and did not say (504): the outcome is being resolved, and a
/// retry with the same key never acts twice.
pub fn outcome_unknown(detail: impl Into<Cow<'static, str>>) -> Error {
    Error::with_status(
        StatusCode::GATEWAY_TIMEOUT,
        "payment_outcome_unknown",
        detail,
    )
}

/// The provider could not be reached and nothing happened (503): a retry is safe.
pub fn unavailable(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Error {
    Error::with_status(StatusCode::SERVICE_UNAVAILABLE, code, detail)
}

/// Whether `e` says the provider did not answer (either of the two above), as opposed to a
/// decline or an error of ours.
pub fn is_provider_silence(e: &Error) -> bool {
    matches!(
        e,
        Error::Status { status, .. }
            if *status == StatusCode::GATEWAY_TIMEOUT || *status == StatusCode::SERVICE_UNAVAILABLE
    )
}
