//! The extractors that read the application state: the authenticated caller (`Auth`), the
//! caller at a branch (`BranchAuth`) and the client's address (`ClientIp`). They live here,
//! above `auth`, `http` and `state`, so that those modules do not depend on each other through
//! the state they are part of.

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{
    auth::{Auth, BranchAuth, Policy, Principal, branch::requested_branch, principal::bearer},
    error::Error,
    http::{ClientIp, client_ip},
    state::AppState,
};

impl<P: Policy> FromRequestParts<AppState> for Auth<P> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = bearer(parts).ok_or(Error::Unauthorized("missing_token"))?;
        let claims = state.jwt.verify(token)?;
        state.sessions.check(&state.db, &claims).await?;
        Auth::admit(Principal::from(claims))
    }
}

impl<P: Policy> FromRequestParts<AppState> for BranchAuth<P> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let auth = Auth::<P>::from_request_parts(parts, state).await?;
        let branch_id = requested_branch(parts).await?;
        if let Some(branch_id) = branch_id {
            state.branches.require(&state.db, &auth, branch_id).await?;
        }
        Ok(Self { auth, branch_id })
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| {
                    client_ip(c.0.ip(), &parts.headers, &state.settings.trusted_proxies).to_string()
                })
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}
