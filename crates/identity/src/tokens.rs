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

/// Issues a pair; `family` is `(family_id, parent_id)` when rotating, `None` for a new login.
pub async fn issue(
    tx: &mut Tx,
    state: &AppState,
    subject: &Subject,
    family: Option<(Uuid, Uuid)>,
) -> Result<TokenPair> {
    let refresh = random_token(32);
    let id = Uuid::now_v7();
    let (family_id, parent_id) = match family {
        Some((f, p)) => (f, Some(p)),
        None => (id, None),
    };
    repo::insert_refresh(
        tx,
        &repo::NewRefresh {
            id,
            family_id,
            parent_id,
            subject,
            token_hash: &token_hash(&refresh),
            expires_at: Utc::now() + Duration::days(REFRESH_TTL_DAYS),
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
