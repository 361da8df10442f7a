//! HMAC request signatures for registered devices (POS, KDS).
//!
//! The device sends `X-Sous-Device: <id>`, `X-Sous-Timestamp: <unix seconds>`,
//! `X-Sous-Nonce: <16–64 random url-safe characters>` and
//! `X-Sous-Signature: hex(HMAC-SHA256(secret, METHOD \n PATH?QUERY \n TIMESTAMP \n NONCE \n hex(SHA-256(body))))`.
//! A timestamp outside ±`MAX_SKEW_SECS` is stale; a signature seen before is a replay (the caller
//! records each accepted signature, see the identity context). The nonce lets a device send the
//! same request twice in one second without the second looking like a replay.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const DEVICE_HEADER: &str = "x-sous-device";
pub const TIMESTAMP_HEADER: &str = "x-sous-timestamp";
pub const SIGNATURE_HEADER: &str = "x-sous-signature";
pub const NONCE_HEADER: &str = "x-sous-nonce";
pub const MAX_SKEW_SECS: i64 = 60;

/// What a device signs: method, path with query, timestamp and nonce, and the body's hash.
pub struct Request<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
    pub body: &'a [u8],
}

impl Request<'_> {
    pub fn canonical(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}",
            self.method,
            self.path_and_query,
            self.timestamp,
            self.nonce,
            hex::encode(Sha256::digest(self.body))
        )
    }

    fn mac(&self, secret: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(self.canonical().as_bytes());
        mac
    }

    pub fn sign(&self, secret: &[u8]) -> String {
        hex::encode(self.mac(secret).finalize().into_bytes())
    }

    /// Constant-time check of `signature` (hex).
    pub fn verify(&self, secret: &[u8], signature: &str) -> bool {
        hex::decode(signature).is_ok_and(|sig| self.mac(secret).verify_slice(&sig).is_ok())
    }
}

pub fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn is_fresh(timestamp: i64, now: i64) -> bool {
    (now - timestamp).abs() <= MAX_SKEW_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(
        method: &'a str,
        path: &'a str,
        ts: i64,
        nonce: &'a str,
        body: &'a [u8],
    ) -> Request<'a> {
        Request {
            method,
            path_and_query: path,
            timestamp: ts,
            nonce,
            body,
        }
    }

    #[test]
    fn signature_covers_method_path_time_nonce_and_body() {
        let n = "0123456789abcdef";
        let body = b"{\"pin\":\"1111\"}";
        let s = req("POST", "/api/auth/pin", 100, n, body).sign(b"secret");
        assert!(req("POST", "/api/auth/pin", 100, n, body).verify(b"secret", &s));
        assert!(!req("GET", "/api/auth/pin", 100, n, body).verify(b"secret", &s));
        assert!(!req("POST", "/api/auth/pix", 100, n, body).verify(b"secret", &s));
        assert!(!req("POST", "/api/auth/pin", 101, n, body).verify(b"secret", &s));
        assert!(!req("POST", "/api/auth/pin", 100, "0123456789abcdeX", body).verify(b"secret", &s));
        assert!(!req("POST", "/api/auth/pin", 100, n, b"{\"pin\":\"2222\"}").verify(b"secret", &s));
        assert!(!req("POST", "/api/auth/pin", 100, n, body).verify(b"other", &s));
        assert!(!req("POST", "/api/auth/pin", 100, n, body).verify(b"secret", "zz"));
    }

    #[test]
    fn nonce_shape() {
        assert!(valid_nonce("0123456789abcdef"));
        assert!(!valid_nonce("short"));
        assert!(!valid_nonce("0123456789abcdef\n"));
    }

    #[test]
    fn freshness_window() {
        assert!(is_fresh(1000, 1060));
        assert!(!is_fresh(1000, 1061));
        assert!(!is_fresh(1100, 1000));
    }
}
