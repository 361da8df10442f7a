//! HTTP routes of countries and a branch's country settings. Handlers stay thin.

use axum::{Json, extract::State};
use platform::{
    AppState,
    auth::{Auth, BranchAuth, policy},
    error::{Error, Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    model::{BranchCountry, BranchCountryInput, Country},
    repo,
};
use crate::changes::{self, Change};

fn to_json(c: &BranchCountry) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(c).map_err(anyhow::Error::from)?)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_countries))
        .routes(routes!(get_branch_country, set_branch_country))
}

/// The countries a branch may be in, with their currency and VAT defaults.
#[utoipa::path(get, path = "/api/countries", tag = "branches", security(("bearer" = [])),
    responses((status = 200, body = Vec<Country>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_countries(
    State(state): State<AppState>,
    auth: Auth<policy::Staff>,
) -> Result<Json<Vec<Country>>> {
    let mut tx = state.db.begin(auth.scope()).await?;
    let countries = repo::countries(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(countries))
}

/// The branch's country, currency (with its decimals), VAT and legal seller.
#[utoipa::path(get, path = "/api/branches/{branch_id}/country", tag = "branches", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = BranchCountry), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_branch_country(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Staff>,
    ApiPath(branch_id): ApiPath<Uuid>,
) -> Result<Json<BranchCountry>> {
    auth.require_branch(branch_id)?;
    let mut tx = state.db.begin(auth.scope()).await?;
    let country = platform::country::of_branch(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(Json(country))
}

/// Sets the branch's country and tax settings (owner). The branch's menu is rebuilt in them;
/// its currency cannot change once it has taken money (409).
#[utoipa::path(put, path = "/api/branches/{branch_id}/country", tag = "branches", security(("bearer" = [])),
    params(("branch_id" = Uuid, Path)), request_body = BranchCountryInput,
    responses((status = 200, body = BranchCountry), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_branch_country(
    State(state): State<AppState>,
    auth: BranchAuth<policy::Owner>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(input): ValidJson<BranchCountryInput>,
) -> Result<Json<BranchCountry>> {
    if input.legal_name.is_none() && (input.legal_name_ar.is_some() || input.vat_number.is_some()) {
        return Err(Error::invalid(
            "legalName",
            "a VAT number or Arabic legal name is the branch's legal entity's: give its legalName",
        ));
    }
    let mut tx = state.db.begin(auth.scope()).await?;
    let before = platform::country::of_branch(&mut tx, branch_id).await?;
    let Some(country) = repo::country(&mut tx, &input.country).await? else {
        return Err(Error::invalid("country", "not a country sous knows"));
    };
    if let Some(currency) = &input.currency
        && !repo::currency_exists(&mut tx, currency).await?
    {
        return Err(Error::invalid("currency", "not a currency sous knows"));
    }
    repo::set(&mut tx, branch_id, &input, &country).await?;
    let after = platform::country::of_branch(&mut tx, branch_id).await?;
    changes::record(
        &mut tx,
        &auth,
        Change {
            action: "branch.country_set",
            entity: "branch",
            entity_id: Some(branch_id),
            before: Some(to_json(&before)?),
            after: Some(to_json(&after)?),
            branch_id: Some(branch_id),
        },
    )
    .await?;
    changes::commit(&state, tx, auth.tenant_id).await?;
    Ok(Json(after))
}
