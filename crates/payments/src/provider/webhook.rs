//! Signed webhooks from the online provider, in the scheme Stripe uses: the provider signs
//! `"{t}.{body}"` with HMAC-SHA256 under a shared secret and sends
//! `x-sous-sim-signature: t=<unix seconds>,v1=<hex>`.
//!
//! Verifying proves the body came from the provider and was not altered; the timestamp bounds
//! how long a captured delivery stays usable. Within that window a replay still verifies, and
//! stopping it needs storage this module does not have, so [`verify`] hands back a
//! [`VerifiedSignature::replay_key`] the caller records once:
//!
//! * insert the replay key into a table with a unique key on it, in the same transaction that
//!   acts on the event; a unique violation means "already seen": answer 2xx and do nothing;
//! * rows older than the tolerance can be deleted, since their timestamps no longer verify;
//! * separately, a provider retrying an event it thinks we missed signs it afresh (new `t`, new
//!   replay key) but keeps the event `id`, so acting on an event is made idempotent by recording
//!   [`WebhookEvent::id`] with a unique key as well.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

/// The header the simulated provider puts its signature in.
pub const SIGNATURE_HEADER: &str = "x-sous-sim-signature";

/// How far a webhook's timestamp may be from our clock, either way: long enough for provider
/// retries in flight and clock skew, short enough that a captured delivery soon stops working.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Signature headers are a few hundred bytes; anything far longer is not one, and each `v1`
/// costs an HMAC, so the size is bounded before parsing.
const MAX_HEADER_LEN: usize = 1024;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook has no signature header")]
    MissingSignature,
    #[error("the webhook signature header is malformed: {0}")]
    MalformedSignature(&'static str),
    #[error("the webhook signature does not match")]
    SignatureMismatch,
    #[error("the webhook timestamp is {age_secs}s old, beyond the tolerance")]
    Stale { age_secs: i64 },
    #[error("the webhook timestamp is {ahead_secs}s in the future, beyond the tolerance")]
    FromFuture { ahead_secs: i64 },
    #[error("the webhook body is not a valid event: {0}")]
    MalformedBody(String),
}

/// A signature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// When the provider signed, unix seconds.
    pub timestamp: i64,
    /// The matching `v1` signature, lower-case hex.
    signature: String,
}

impl VerifiedSignature {
    /// What the caller records (unique) to refuse a replay of this very delivery. The signature
    /// covers the timestamp and the body, so it is unique per delivery; it is normalised to
    /// lower-case hex so the same bytes written in upper case cannot pass as a new delivery.
    pub fn replay_key(&self) -> &str {
        &self.signature
    }
}

/// The header value signing `body` at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let signature = hex::encode(
        mac(secret, &timestamp.to_string(), body)
            .finalize()
            .into_bytes(),
    );
    format!("t={timestamp},v1={signature}")
}

/// Checks a delivery: the header is present and well formed, one of its `v1` signatures matches
/// (several are allowed so the secret can be rotated), and its timestamp is within `tolerance`
/// of `now` in either direction. The signature is checked first: until it matches, the
/// timestamp is just a number anybody could have written.
pub fn verify(
    secret: &[u8],
    signature_header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<VerifiedSignature, WebhookError> {
    let header = signature_header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let parsed = parse_header(header)?;

    let signature = parsed
        .signatures
        .iter()
        .find(|candidate| {
            // `verify_slice` compares in constant time, so timing reveals nothing about how
            // much of a forged signature was right.
            mac(secret, parsed.timestamp_text, body)
                .verify_slice(candidate)
                .is_ok()
        })
        .ok_or(WebhookError::SignatureMismatch)?;

    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let age = now.timestamp() - parsed.timestamp;
    if age > tolerance {
        return Err(WebhookError::Stale { age_secs: age });
    }
    if -age > tolerance {
        return Err(WebhookError::FromFuture { ahead_secs: -age });
    }
    Ok(VerifiedSignature {
        timestamp: parsed.timestamp,
        signature: hex::encode(signature),
    })
}

/// Verifies a delivery and reads the event in it.
pub fn verify_event(
    secret: &[u8],
    signature_header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<VerifiedWebhook, WebhookError> {
    let signature = verify(secret, signature_header, body, now, tolerance)?;
    let event = parse_event(body)?;
    Ok(VerifiedWebhook { event, signature })
}

/// Reads an event body. Only call this on a body whose signature verified.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    serde_json::from_slice(body).map_err(|e| WebhookError::MalformedBody(e.to_string()))
}

/// The first value of header `name` (case-insensitive, as HTTP header names are).
pub fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// An event that came from the provider, with what must be recorded to process it once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedWebhook {
    pub event: WebhookEvent,
    pub signature: VerifiedSignature,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookEventType {
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
}

/// What the provider tells us about a hosted payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// Stable across redeliveries of the same event; record it to act on the event once.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: WebhookEventType,
    pub session_id: String,
    /// Our payment id, as given when the session was created.
    pub reference: Uuid,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    /// The provider's id for the payment attempt; refunds name it.
    pub provider_ref: String,
    /// Why a `payment.failed` failed (`card_declined`, `insufficient_funds`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

struct ParsedHeader<'h> {
    /// Exactly as sent, because that text is what was signed.
    timestamp_text: &'h str,
    timestamp: i64,
    signatures: Vec<Vec<u8>>,
}

fn parse_header(header: &str) -> Result<ParsedHeader<'_>, WebhookError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(WebhookError::MalformedSignature("too long"));
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(WebhookError::MalformedSignature("expected key=value pairs"))?;
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::MalformedSignature("more than one t"));
                }
                // Digits only: `i64::from_str` would also take "+1700000000", a text that was
                // never signed.
                if value.is_empty()
                    || value.len() > 12
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(WebhookError::MalformedSignature("t is not unix seconds"));
                }
                let seconds = value
                    .parse()
                    .map_err(|_| WebhookError::MalformedSignature("t is not unix seconds"))?;
                timestamp = Some((value, seconds));
            }
            "v1" => {
                let bytes = hex::decode(value)
                    .map_err(|_| WebhookError::MalformedSignature("v1 is not hex"))?;
                if bytes.len() != 32 {
                    return Err(WebhookError::MalformedSignature("v1 is not an HMAC-SHA256"));
                }
                signatures.push(bytes);
            }
            // Other schemes (v0, a future v2) are ignored, as Stripe's clients do, so the
            // provider can add one without breaking us.
            _ => {}
        }
    }
    let (timestamp_text, timestamp) = timestamp.ok_or(WebhookError::MalformedSignature("no t"))?;
    if signatures.is_empty() {
        return Err(WebhookError::MalformedSignature("no v1 signature"));
    }
    Ok(ParsedHeader {
        timestamp_text,
        timestamp,
        signatures,
    })
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"type":"payment.succeeded"}"#;
    const T: i64 = 1_760_000_000;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn check(header: &str, body: &[u8], now: i64) -> Result<VerifiedSignature, WebhookError> {
        verify(SECRET, Some(header), body, at(now), DEFAULT_TOLERANCE)
    }

    #[test]
    fn a_signed_delivery_verifies() {
        let header = sign(SECRET, T, BODY);
        let verified = check(&header, BODY, T + 10).unwrap();
        assert_eq!(verified.timestamp, T);
        assert_eq!(verified.replay_key().len(), 64);
        // At the edges of the window, both ways.
        check(&header, BODY, T + 300).unwrap();
        check(&header, BODY, T - 300).unwrap();
    }

    #[test]
    fn a_wrong_signature_is_refused() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(
            check(&header, br#"{"type":"payment.failed"}"#, T),
            Err(WebhookError::SignatureMismatch)
        );
        assert_eq!(
            verify(b"other", Some(&header), BODY, at(T), DEFAULT_TOLERANCE),
            Err(WebhookError::SignatureMismatch)
        );
        // Moving the timestamp invalidates the signature, so it cannot be refreshed.
        let refreshed = header.replace(&format!("t={T}"), &format!("t={}", T + 1000));
        assert_eq!(
            check(&refreshed, BODY, T + 1000),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_refused() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(
            check(&header, BODY, T + 301),
            Err(WebhookError::Stale { age_secs: 301 })
        );
        assert_eq!(
            check(&header, BODY, T - 301),
            Err(WebhookError::FromFuture { ahead_secs: 301 })
        );
        assert!(
            verify(
                SECRET,
                Some(&header),
                BODY,
                at(T + 20),
                Duration::from_secs(10)
            )
            .is_err()
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_refused() {
        assert_eq!(
            verify(SECRET, None, BODY, at(T), DEFAULT_TOLERANCE),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(check("  ", BODY, T), Err(WebhookError::MissingSignature));
        let good = sign(SECRET, T, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        for bad in [
            "garbage".to_owned(),
            format!("v1={v1}"),
            format!("t={T}"),
            format!("t=,v1={v1}"),
            format!("t=abc,v1={v1}"),
            format!("t=+{T},v1={v1}"),
            format!("t={T},t={T},v1={v1}"),
            format!("t={T},v1=zz"),
            format!("t={T},v1={}", &v1[..32]),
            format!("t={T},v1={v1},{}", "x".repeat(MAX_HEADER_LEN)),
        ] {
            assert!(
                matches!(
                    check(&bad, BODY, T),
                    Err(WebhookError::MalformedSignature(_))
                ),
                "{bad} was not refused as malformed"
            );
        }
    }

    #[test]
    fn any_matching_v1_verifies_and_unknown_schemes_are_ignored() {
        let good = sign(SECRET, T, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let rotated = format!("t={T},v0=abc,v1={},v1={v1}", "00".repeat(32));
        let verified = check(&rotated, BODY, T).unwrap();
        assert_eq!(verified.replay_key(), v1);
    }

    #[test]
    fn the_replay_key_is_normalised() {
        let good = sign(SECRET, T, BODY);
        let upper = format!(
            "t={T},v1={}",
            good.split_once(",v1=").unwrap().1.to_uppercase()
        );
        assert_eq!(
            check(&upper, BODY, T).unwrap().replay_key(),
            check(&good, BODY, T).unwrap().replay_key()
        );
    }

    #[test]
    fn events_round_trip_in_camel_case() {
        let event = WebhookEvent {
            id: "evt_1".into(),
            kind: WebhookEventType::PaymentSucceeded,
            session_id: "cs_1".into(),
            reference: Uuid::now_v7(),
            amount: 1500,
            currency: "SAR".into(),
            provider_ref: "simpay_1".into(),
            failure_code: None,
            occurred_at: at(T),
        };
        let body = serde_json::to_vec(&event).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["type"], "payment.succeeded");
        assert_eq!(json["sessionId"], "cs_1");
        assert_eq!(json["providerRef"], "simpay_1");
        assert!(json.get("failureCode").is_none());
        assert_eq!(parse_event(&body).unwrap(), event);
        assert!(matches!(
            parse_event(b"{}"),
            Err(WebhookError::MalformedBody(_))
        ));
    }

    #[test]
    fn header_lookup_ignores_case() {
        let headers = vec![("X-Sous-Sim-Signature".to_owned(), "t=1,v1=aa".to_owned())];
        assert_eq!(find_header(&headers, SIGNATURE_HEADER), Some("t=1,v1=aa"));
        assert_eq!(find_header(&headers, "content-type"), None);
    }
}
