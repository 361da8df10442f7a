//! A branch's kitchen set-up: stations, category routes and the recall window (managers).

use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    error::{Error, Result},
};
use uuid::Uuid;

use crate::{
    kds::require_kitchen,
    model::{CategoryRoute, KitchenSettings, NewStation, StationDto},
    repo,
};

pub(crate) fn require_manager(who: &Principal, branch_id: Uuid) -> Result<()> {
    if who.kind != PrincipalKind::Staff || !matches!(who.role, Role::Owner | Role::Manager) {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)
}

pub(crate) async fn begin_at(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
) -> Result<platform::db::Tx> {
    let mut tx = state.db.begin(who.scope()).await?;
    if !repo::branch_exists(&mut tx, branch_id).await? {
        return Err(Error::NotFound);
    }
    Ok(tx)
}

pub async fn stations(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
) -> Result<Vec<StationDto>> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_kitchen(who, branch_id)?;
    let rows = repo::stations(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|s| StationDto {
            id: s.id,
            code: s.code,
            name: s.name,
            name_ar: s.name_ar,
            kind: s.kind,
            position: s.position,
        })
        .collect())
}

pub async fn add_station(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &NewStation,
) -> Result<StationDto> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_manager(who, branch_id)?;
    let Some(id) = repo::insert_station(&mut tx, who.tenant_id, branch_id, req).await? else {
        return Err(Error::conflict(
            "station_exists",
            "this branch already has a station with that code",
        ));
    };
    tx.commit().await?;
    Ok(StationDto {
        id,
        code: req.code.clone(),
        name: req.name.clone(),
        name_ar: req.name_ar.clone(),
        kind: req.kind.clone().unwrap_or_else(|| "prep".into()),
        position: req.position.unwrap_or(0),
    })
}

pub async fn route_category(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &CategoryRoute,
) -> Result<()> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_manager(who, branch_id)?;
    if !repo::route_category(
        &mut tx,
        who.tenant_id,
        branch_id,
        req.category_id,
        &req.station,
    )
    .await?
    {
        return Err(Error::invalid(
            "station",
            "the category or the prep station does not exist at this branch",
        ));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn settings(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
) -> Result<KitchenSettings> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_kitchen(who, branch_id)?;
    let recall_seconds = repo::recall_seconds(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(KitchenSettings { recall_seconds })
}

pub async fn set_settings(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &KitchenSettings,
) -> Result<KitchenSettings> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_manager(who, branch_id)?;
    repo::set_recall_seconds(&mut tx, who.tenant_id, branch_id, req.recall_seconds).await?;
    tx.commit().await?;
    Ok(KitchenSettings {
        recall_seconds: req.recall_seconds,
    })
}

/// The branch's names, for the printed ticket.
pub async fn branch_names(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
) -> Result<(String, Option<String>)> {
    let mut tx = state.db.begin(who.scope()).await?;
    let names = repo::branch_names(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(names)
}
