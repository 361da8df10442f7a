//! Short-lived HS256 access tokens. The algorithm is pinned (a token naming any other, `none`
//! included, is rejected), issuer and audience are checked, and a `kid` header selects the key so
//! keys can be rotated: the first key signs, every configured key verifies.

use std::{collections::HashMap, path::Path};

use anyhow::{Context, bail};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::principal::{PrincipalKind, Role};
use crate::error::Error;

/// Access tokens live this long.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The user, or the guest session for guests.
    pub sub: Uuid,
    /// Tenant.
    pub tid: Uuid,
    pub kind: PrincipalKind,
    pub role: Role,
    /// Branch scope; `None` means every branch of the tenant (owner, unscoped manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<Uuid>,
    /// The registered device a staff member logged in on with a PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<Uuid>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

/// SSE tickets live this long (EventSource cannot send headers, so the token travels in the
/// query string: short-lived and single-use).
pub const TICKET_TTL_SECS: i64 = 60;

#[derive(Clone)]
pub struct JwtKeys {
    signing_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    ticket_validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtKeys {
    /// Parses `kid:secret[,kid:secret…]`; secrets must be at least 32 bytes.
    pub fn from_spec(spec: &str, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kid, secret) = part
                .split_once(':')
                .context("JWT key must be `kid:secret`")?;
            if secret.len() < 32 {
                bail!("JWT key `{kid}` is shorter than 32 bytes");
            }
            keys.push((kid.to_string(), secret.as_bytes().to_vec()));
        }
        let (signing_kid, signing_secret) =
            keys.first().cloned().context("no JWT key configured")?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let mut ticket_validation = validation.clone();
        ticket_validation.set_audience(&[ticket_audience(audience)]);
        Ok(Self {
            ticket_validation,
            encoding: EncodingKey::from_secret(&signing_secret),
            decoding: keys
                .iter()
                .map(|(k, s)| (k.clone(), DecodingKey::from_secret(s)))
                .collect(),
            signing_kid,
            validation,
            issuer: issuer.into(),
            audience: audience.into(),
        })
    }

    /// Uses the configured keys, or a key generated once and kept (mode 0600) in `data_dir`.
    pub fn load(
        spec: Option<&str>,
        data_dir: &Path,
        issuer: &str,
        audience: &str,
    ) -> anyhow::Result<Self> {
        if let Some(spec) = spec {
            return Self::from_spec(spec, issuer, audience);
        }
        let spec = crate::secrets::load_or_create(data_dir, "jwt.key", || {
            format!("k1:{}", crate::secrets::random_token(48))
        })?;
        Self::from_spec(spec.trim(), issuer, audience)
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| Error::Internal(e.into()))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        self.verify_with(token, &self.validation)
    }

    /// A ticket: the caller's claims, re-audienced for SSE and valid for `TICKET_TTL_SECS`.
    pub fn sign_ticket(&self, claims: &Claims) -> Result<String, Error> {
        let now = chrono::Utc::now().timestamp();
        self.sign(&Claims {
            aud: ticket_audience(&self.audience),
            iat: now,
            exp: now + TICKET_TTL_SECS,
            jti: uuid::Uuid::now_v7(),
            ..claims.clone()
        })
    }

    /// Verifies a ticket; whether it was used before is the caller's check (by `jti`).
    pub fn verify_ticket(&self, ticket: &str) -> Result<Claims, Error> {
        self.verify_with(ticket, &self.ticket_validation)
    }

    fn verify_with(&self, token: &str, validation: &Validation) -> Result<Claims, Error> {
        let invalid = || Error::Unauthorized("invalid_token");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if header.alg != Algorithm::HS256 {
            return Err(invalid());
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or_else(invalid)?;
        jsonwebtoken::decode::<Claims>(token, key, validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    Error::Unauthorized("token_expired")
                }
                _ => invalid(),
            })
    }
}

fn ticket_audience(audience: &str) -> String {
    format!("{audience}/sse")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const K1: &str = "k1:0123456789abcdef0123456789abcdef";

    fn claims(keys: &JwtKeys, exp_in: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: Uuid::now_v7(),
            tid: Uuid::now_v7(),
            kind: PrincipalKind::Staff,
            role: Role::Owner,
            bid: None,
            did: None,
            iss: keys.issuer().into(),
            aud: keys.audience().into(),
            iat: now,
            exp: now + exp_in,
            jti: Uuid::now_v7(),
        }
    }

    fn b64(v: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
    }

    #[test]
    fn round_trip_and_rotation() {
        let old = JwtKeys::from_spec(K1, "sous", "sous-api").unwrap();
        let c = claims(&old, 60);
        let token = old.sign(&c).unwrap();
        // A rotated key set signs with k2 but still accepts tokens signed by k1.
        let rotated = JwtKeys::from_spec(
            &format!("k2:abcdefabcdefabcdefabcdefabcdefab,{K1}"),
            "sous",
            "sous-api",
        )
        .unwrap();
        assert_eq!(rotated.verify(&token).unwrap(), c);
        let new_token = rotated.sign(&c).unwrap();
        assert!(
            old.verify(&new_token).is_err(),
            "unknown kid must be refused"
        );
    }

    #[test]
    fn rejects_expired_tampered_wrong_audience_and_alg_none() {
        let keys = JwtKeys::from_spec(K1, "sous", "sous-api").unwrap();
        let expired = keys.sign(&claims(&keys, -60)).unwrap();
        assert!(matches!(
            keys.verify(&expired),
            Err(Error::Unauthorized("token_expired"))
        ));

        let good = keys.sign(&claims(&keys, 60)).unwrap();
        let mut parts: Vec<String> = good.split('.').map(String::from).collect();
        let mut payload: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&parts[1])
                .unwrap(),
        )
        .unwrap();
        payload["role"] = "owner".into();
        payload["tid"] = Uuid::now_v7().to_string().into();
        parts[1] = b64(payload.to_string().as_bytes());
        assert!(keys.verify(&parts.join(".")).is_err(), "tampered payload");

        let other_aud = JwtKeys::from_spec(K1, "sous", "someone-else").unwrap();
        let foreign = other_aud.sign(&claims(&other_aud, 60)).unwrap();
        assert!(keys.verify(&foreign).is_err(), "wrong audience");

        let none_header = b64(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert!(keys.verify(&unsigned).is_err(), "alg none");

        let hs512 = b64(br#"{"alg":"HS512","typ":"JWT","kid":"k1"}"#);
        let switched = format!("{hs512}.{}.{}", parts[1], parts[2]);
        assert!(keys.verify(&switched).is_err(), "algorithm switch");
    }

    #[test]
    fn tickets_and_access_tokens_are_not_interchangeable() {
        let keys = JwtKeys::from_spec(K1, "sous", "sous-api").unwrap();
        let access = keys.sign(&claims(&keys, 60)).unwrap();
        let ticket = keys.sign_ticket(&claims(&keys, 600)).unwrap();
        assert!(keys.verify_ticket(&ticket).is_ok());
        assert!(
            keys.verify(&ticket).is_err(),
            "a ticket is not an access token"
        );
        assert!(
            keys.verify_ticket(&access).is_err(),
            "an access token is not a ticket"
        );
        let c = keys.verify_ticket(&ticket).unwrap();
        assert!(c.exp - c.iat <= TICKET_TTL_SECS);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(JwtKeys::from_spec("k1:short", "sous", "sous-api").is_err());
    }
}
