//! `SignedDevice`: a request from a registered device, its HMAC signature checked (fresh, not a
//! replay, made with the device's secret). The body is handed on as bytes for the handler to
//! parse, because the signature covers the exact bytes sent.

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use platform::{
    AppState,
    auth::signing,
    db::TenantScope,
    error::{Error, Result},
};
use uuid::Uuid;

use crate::repo;

pub struct SignedDevice {
    pub device_id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub body: Bytes,
}

fn header<'a>(req: &'a Request, name: &str) -> Result<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Unauthorized("missing_signature"))
}

impl FromRequest<AppState> for SignedDevice {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self> {
        let device_id: Uuid = header(&req, signing::DEVICE_HEADER)?
            .parse()
            .map_err(|_| Error::Unauthorized("unknown_device"))?;
        let timestamp: i64 = header(&req, signing::TIMESTAMP_HEADER)?
            .parse()
            .map_err(|_| Error::Unauthorized("stale_signature"))?;
        let signature = header(&req, signing::SIGNATURE_HEADER)?.to_ascii_lowercase();
        let nonce = header(&req, signing::NONCE_HEADER)?.to_string();
        if !signing::valid_nonce(&nonce) {
            return Err(Error::Unauthorized("bad_signature"));
        }
        let method = req.method().as_str().to_string();
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::bad_request("invalid_body", e.body_text())
            }
        })?;

        if !signing::is_fresh(timestamp, chrono::Utc::now().timestamp()) {
            return Err(Error::Unauthorized("stale_signature"));
        }
        let mut tx = state.db.begin_anonymous().await?;
        let key = repo::device_key(&mut tx, device_id)
            .await?
            .filter(|k| !k.revoked)
            .ok_or(Error::Unauthorized("unknown_device"))?;
        tx.commit().await?;
        let signed = signing::Request {
            method: &method,
            path_and_query: &path,
            timestamp,
            nonce: &nonce,
            body: &body,
        };
        if !signed.verify(&key.secret, &signature) {
            return Err(Error::Unauthorized("bad_signature"));
        }
        let mut tx = state.db.begin(TenantScope::tenant(key.tenant_id)).await?;
        if !repo::remember_signature(&mut tx, key.tenant_id, device_id, &signature).await? {
            return Err(Error::Unauthorized("replayed_signature"));
        }
        tx.commit().await?;
        // Counted only for fresh, correctly signed requests, so nobody without the device's
        // secret (or replaying a captured request) can keep its PIN login at 429.
        state.limits.pin.check(&format!("device:{device_id}"))?;
        Ok(Self {
            device_id,
            tenant_id: key.tenant_id,
            branch_id: key.branch_id,
            body,
        })
    }
}
