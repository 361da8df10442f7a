//! Issuing token pairs: a short-lived JWT access token and an opaque refresh token whose hash is
//! stored, chained to its parent within a family.

use chrono::{Duration, Utc};
use platform::{
    AppState,
    auth::{Claims, jwt::ACCESS_TTL_SECS, password::token_hash},
    db::Tx,
    error::Result,
    secrets::random_token,
};
use uuid::Uuid;

use crate::{
    model::{Subject, TokenPair},
    repo,
};

pub const REFRESH_TTL_DAYS: i64 = 30;
/// A session started by PIN on a device ends after this long without a refresh (each refresh
/// starts it again): a till or kitchen screen left alone does not stay signed in for a month.
pub const DEVICE_REFRESH_TTL_HOURS: i64 = 12;

/// The refresh token that replaces `parent`: derived from it with a server key rather than
/// random, so that a second presentation of `parent` within the grace (two tabs refreshing at
/// once) can be answered with the same token without storing it.
pub fn child_token(state: &AppState, parent: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&state.pin_pepper).expect("any key length");
    mac.update(b"refresh-rotation\0");
    mac.update(parent.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn access_token(state: &AppState, s: &Subject) -> Result<String> {
    let now = Utc::now().timestamp();
    state.jwt.sign(&Claims {
        sub: s.id,
        tid: s.tenant_id,
        kind: s.kind,
        role: s.role,
        bid: s.branch_id,
        did: s.device_id,
        iss: state.jwt.issuer().into(),
        aud: state.jwt.audience().into(),
        iat: now,
        exp: now + ACCESS_TTL_SECS,
        jti: Uuid::now_v7(),
    })
}

/// Issues a pair; `family` is `(family_id, parent_id, parent token)` when rotating, `None` for a
/// new login.
pub async fn issue(
    tx: &mut Tx,
    state: &AppState,
    subject: &Subject,
    family: Option<(Uuid, Uuid, &str)>,
) -> Result<TokenPair> {
    let id = Uuid::now_v7();
    let (family_id, parent_id, refresh) = match family {
        Some((f, p, parent)) => (f, Some(p), child_token(state, parent)),
        None => (id, None, random_token(32)),
    };
    let lifetime = if subject.device_id.is_some() {
        Duration::hours(DEVICE_REFRESH_TTL_HOURS)
    } else {
        Duration::days(REFRESH_TTL_DAYS)
    };
    repo::insert_refresh(
        tx,
        &repo::NewRefresh {
            id,
            family_id,
            parent_id,
            subject,
            token_hash: &token_hash(&refresh),
            expires_at: Utc::now() + lifetime,
        },
    )
    .await?;
    Ok(TokenPair {
        access_token: access_token(state, subject)?,
        refresh_token: refresh,
        expires_in: ACCESS_TTL_SECS,
        token_type: "Bearer".into(),
    })
}
