//! State shared by every handler.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::{
    auth::JwtKeys, config::Settings, db::Db, events::EventBus, health::HealthProbe,
    public_cache::PublicCache, rate_limit::RateLimits,
};

/// Handlers receive a clone per request, so the clone is one reference count: some parts
/// (the shutdown token, for one) take a lock to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: Db,
    pub jwt: JwtKeys,
    pub limits: RateLimits,
    /// Whether tokens still stand (membership active, device not revoked), cached briefly.
    pub sessions: crate::auth::sessions::Sessions,
    /// Key of the PIN look-up hash (see `auth::password::pin_lookup`).
    pub pin_pepper: Vec<u8>,
    /// The secret online-payment webhooks are signed with (`payments.webhook_secret`).
    pub webhook_secret: Vec<u8>,
    pub settings: Settings,
    pub health: HealthProbe,
    /// Committed events, fanned out to SSE clients (fed by `events::listener`).
    pub bus: EventBus,
    /// Public responses served from memory (branch menus); kept fresh by
    /// [`PublicCache::follow`], which whoever runs the event listener starts.
    pub public_cache: Arc<PublicCache>,
    /// Cancelled at shutdown: long-lived responses (event streams) end with it.
    pub shutdown: CancellationToken,
    /// Event streams open per principal (`sse_streams_per_principal`).
    pub sse_streams: crate::rate_limit::OpenStreams,
    /// Which brand each branch belongs to (the branch check of every branch route).
    pub branches: crate::auth::BranchDirectory,
    /// Concurrent writes of one kind and caller, made in one transaction (checkout).
    pub group_commit: Arc<crate::group_commit::GroupCommit>,
}

impl AppState {
    /// Builds the state, generating missing secrets in the data dir.
    pub fn new(db: Db, settings: Settings) -> anyhow::Result<Self> {
        let jwt = JwtKeys::load(
            settings.jwt_keys.as_deref(),
            &settings.data_dir,
            &settings.jwt_issuer,
            &settings.jwt_audience,
        )?;
        let pepper = match &settings.pin_pepper {
            Some(p) => p.clone(),
            None => crate::secrets::load_or_create(&settings.data_dir, "pin.pepper", || {
                crate::secrets::random_token(32)
            })?,
        };
        let webhook_secret = match &settings.payments.webhook_secret {
            Some(s) => s.clone(),
            None => crate::secrets::load_or_create(&settings.data_dir, "webhook.secret", || {
                crate::secrets::random_token(32)
            })?,
        };
        let bus = EventBus::new(settings.event_buffer);
        Ok(Self(Arc::new(Shared {
            db,
            jwt,
            limits: RateLimits::new(settings.rate_limits),
            sessions: Default::default(),
            pin_pepper: pepper.into_bytes(),
            webhook_secret: webhook_secret.into_bytes(),
            settings,
            health: HealthProbe::default(),
            bus,
            public_cache: Arc::default(),
            shutdown: CancellationToken::new(),
            group_commit: Arc::default(),
            branches: Default::default(),
            sse_streams: Default::default(),
        })))
    }
}
