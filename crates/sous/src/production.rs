//! What `SOUS_ENV=production` refuses: the demo brand, whose logins and passwords are
//! published, must never be reachable on a production instance.

use anyhow::bail;
use platform::{
    AppState,
    config::{Environment, Settings},
};

/// Before anything is seeded: asking for the demo in production is a mistake.
pub fn check_settings(settings: &Settings) -> anyhow::Result<()> {
    if settings.env == Environment::Production && settings.seed_demo {
        bail!(
            "refusing to start: SOUS_ENV=production with the demo seed asked for \
             (--demo or SOUS_SEED_DEMO=true); the demo brand's passwords are public"
        );
    }
    Ok(())
}

/// Once the database is open: a production database holding the demo brand is refused.
pub async fn check_database(settings: &Settings, state: &AppState) -> anyhow::Result<()> {
    if settings.env == Environment::Production && has_demo(state).await? {
        bail!(
            "refusing to start: SOUS_ENV=production and the database holds the demo brand \
             (slug `{}`), whose logins and passwords are public. Delete that brand, or run \
             without SOUS_ENV=production (see docs/operations.md, \"Production settings\")",
            identity::seed::DEMO_SLUG
        );
    }
    Ok(())
}

/// Whether the demo brand exists (its logins are printed only then).
pub async fn has_demo(state: &AppState) -> anyhow::Result<bool> {
    Ok(demo_tenant(state).await?.is_some())
}

pub(crate) async fn demo_tenant(state: &AppState) -> anyhow::Result<Option<uuid::Uuid>> {
    let mut tx = state.db.begin_anonymous().await?;
    let found = identity::repo::tenant_id_by_slug(&mut tx, identity::seed::DEMO_SLUG).await?;
    tx.commit().await?;
    Ok(found)
}
