//! Delivery zones (managers create, change and archive them; the branch's staff list them) and
//! the public quote.

use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::{self, TenantScope},
    error::{Error, Result},
};
use uuid::Uuid;

use super::{
    geo,
    model::{LatLng, Quote, ZoneDto, ZoneInput},
    repo::{self, Shape, ZoneFields, ZoneRow},
};
use crate::setup::{begin_at, require_manager};

fn dto(z: ZoneRow) -> ZoneDto {
    ZoneDto {
        id: z.id,
        branch_id: z.branch_id,
        name: z.name,
        name_ar: z.name_ar,
        kind: if z.geojson.is_some() {
            "polygon"
        } else {
            "radius"
        },
        area: z.geojson,
        radius_metres: z.radius_m,
        center: z
            .center_lat
            .zip(z.center_lng)
            .map(|(lat, lng)| LatLng { lat, lng }),
        fee: z.fee,
        minimum_order: z.minimum_order,
        eta_minutes: z.eta_minutes,
        archived: z.archived_at.is_some(),
        updated_at: z.updated_at,
    }
}

/// The shape asked for: exactly one of `area` and `radiusMetres`; a circle's centre defaults
/// to the branch's location.
async fn shape(tx: &mut db::Tx, branch_id: Uuid, req: &ZoneInput) -> Result<Shape> {
    match (&req.area, req.radius_metres) {
        (Some(area), None) => {
            if req.center.is_some() {
                return Err(Error::invalid("center", "only a radius zone has a centre"));
            }
            Ok(Shape::Polygon {
                literal: geo::polygon(area)?,
                geojson: area.clone(),
            })
        }
        (None, Some(metres)) => {
            let (lat, lng) = match req.center {
                Some(c) => (c.lat, c.lng),
                None => repo::branch_location(tx, branch_id).await?.ok_or_else(|| {
                    Error::invalid(
                        "center",
                        "the branch has no location: give the circle's centre",
                    )
                })?,
            };
            Ok(Shape::Circle { lat, lng, metres })
        }
        _ => Err(Error::invalid(
            "area",
            "give either area (a GeoJSON Polygon) or radiusMetres",
        )),
    }
}

fn fields<'a>(req: &'a ZoneInput, shape: Shape) -> ZoneFields<'a> {
    ZoneFields {
        name: &req.name,
        name_ar: req.name_ar.as_deref(),
        shape,
        fee: req.fee,
        minimum_order: req.minimum_order,
        eta_minutes: req.eta_minutes,
    }
}

pub async fn create(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &ZoneInput,
) -> Result<ZoneDto> {
    let mut tx = begin_at(state, who, branch_id).await?;
    require_manager(who, branch_id)?;
    let shape = shape(&mut tx, branch_id, req).await?;
    let row = repo::insert_zone(&mut tx, who.tenant_id, branch_id, &fields(req, shape)).await?;
    tx.commit().await?;
    Ok(dto(row))
}

pub async fn list(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    archived: bool,
) -> Result<Vec<ZoneDto>> {
    let mut tx = begin_at(state, who, branch_id).await?;
    if who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)?;
    let rows = repo::zones(&mut tx, branch_id, archived).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(dto).collect())
}

pub async fn update(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    req: &ZoneInput,
) -> Result<ZoneDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let current = repo::zone(&mut tx, id, true).await?;
    require_manager(who, current.branch_id)?;
    if current.archived_at.is_some() {
        return Err(Error::conflict(
            "zone_archived",
            "the zone is archived; create a new one",
        ));
    }
    let shape = shape(&mut tx, current.branch_id, req).await?;
    let row = repo::update_zone(&mut tx, id, &fields(req, shape)).await?;
    tx.commit().await?;
    Ok(dto(row))
}

/// Archived zones deliver nowhere; orders placed in them keep referring to them.
pub async fn archive(state: &AppState, who: &Principal, id: Uuid) -> Result<ZoneDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let current = repo::zone(&mut tx, id, true).await?;
    require_manager(who, current.branch_id)?;
    let row = repo::archive_zone(&mut tx, id).await?;
    tx.commit().await?;
    Ok(dto(row))
}

/// Anyone may ask what delivery to a point would cost: the branch's tenant is found first,
/// then the look-up runs under that tenant's row-level security — the same function checkout
/// uses, so a quote and the order agree.
pub async fn quote(state: &AppState, branch_id: Uuid, at: LatLng) -> Result<Quote> {
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = catalog::repo::branch_tenant(&mut tx, branch_id)
        .await?
        .ok_or(Error::NotFound)?;
    db::set_scope(&mut tx, TenantScope::tenant(tenant_id)).await?;
    let zone = ordering::api::zone_at(&mut tx, branch_id, at.lat, at.lng).await?;
    // The branch's own currency: a zone's fee and minimum are in it.
    let currency = platform::country::of_branch(&mut tx, branch_id)
        .await?
        .currency;
    tx.commit().await?;
    Ok(Quote {
        branch_id,
        zone,
        currency,
    })
}
