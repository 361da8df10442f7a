//! HMAC request signatures for registered devices (POS, KDS).
//!
//! The device sends `X-Sous-Device: <id>`, `X-Sous-Timestamp: <unix seconds>` and
//! `X-Sous-Signature: hex(HMAC-SHA256(secret, METHOD \n PATH?QUERY \n TIMESTAMP \n hex(SHA-256(body))))`.
//! A timestamp outside ±`MAX_SKEW_SECS` is stale; a signature seen before is a replay (the caller
//! records each accepted signature, see the identity context).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const DEVICE_HEADER: &str = "x-sous-device";
pub const TIMESTAMP_HEADER: &str = "x-sous-timestamp";
pub const SIGNATURE_HEADER: &str = "x-sous-signature";
pub const MAX_SKEW_SECS: i64 = 60;

pub fn canonical(method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "{method}\n{path_and_query}\n{timestamp}\n{}",
        hex::encode(Sha256::digest(body))
    )
}

pub fn sign(secret: &[u8], method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(canonical(method, path_and_query, timestamp, body).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of `signature` (hex) over the request.
pub fn verify(
    secret: &[u8],
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(sig) = hex::decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(canonical(method, path_and_query, timestamp, body).as_bytes());
    mac.verify_slice(&sig).is_ok()
}

pub fn is_fresh(timestamp: i64, now: i64) -> bool {
    (now - timestamp).abs() <= MAX_SKEW_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_method_path_time_and_body() {
        let s = sign(b"secret", "POST", "/api/auth/pin", 100, b"{\"pin\":\"1111\"}");
        assert!(verify(b"secret", "POST", "/api/auth/pin", 100, b"{\"pin\":\"1111\"}", &s));
        assert!(!verify(b"secret", "GET", "/api/auth/pin", 100, b"{\"pin\":\"1111\"}", &s));
        assert!(!verify(b"secret", "POST", "/api/auth/pix", 100, b"{\"pin\":\"1111\"}", &s));
        assert!(!verify(b"secret", "POST", "/api/auth/pin", 101, b"{\"pin\":\"1111\"}", &s));
        assert!(!verify(b"secret", "POST", "/api/auth/pin", 100, b"{\"pin\":\"2222\"}", &s));
        assert!(!verify(b"other", "POST", "/api/auth/pin", 100, b"{\"pin\":\"1111\"}", &s));
        assert!(!verify(b"secret", "POST", "/api/auth/pin", 100, b"{}", "zz"));
    }

    #[test]
    fn freshness_window() {
        assert!(is_fresh(1000, 1060));
        assert!(!is_fresh(1000, 1061));
        assert!(!is_fresh(1100, 1000));
    }
}
