//! The delivery step of checkout: a delivery order names where to, the branch must be open and
//! deliver there, the zone's fee is priced in, and its minimum order is met.
//!
//! Zones belong to fulfillment, which depends on ordering, so ordering cannot call it. The
//! look-up is the SQL function `delivery_zone_at` (and `branch_open_at`) rather than a trait
//! that the binary wires: it must run inside checkout's transaction anyway, the quote endpoint
//! calls the very same function (one definition of "inside"), and a port would add a plug to
//! the application state for what is a single query.

use chrono::{DateTime, Utc};
use garde::Validate;
use platform::{
    auth::Principal,
    db::Tx,
    error::{Error, Result},
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{lifecycle::OrderType, pricing::Totals};

/// Where a delivery order goes: the address the driver reads and the point the zone is
/// checked against.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryAddress {
    #[garde(length(chars, min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub address: String,
    /// "Gate 3, second floor".
    #[garde(inner(length(chars, max = 300)))]
    #[schema(max_length = 300)]
    pub notes: Option<String>,
    #[garde(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[garde(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
}

/// The zone that delivers to a point, as quoted.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    pub zone_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    /// Minor units.
    pub fee: i64,
    /// The least items total (before discounts), minor units.
    pub minimum_order: i64,
    pub eta_minutes: i32,
}

/// Whether the branch takes orders at `at` (now when `None`; a time already past counts as
/// now): its status is open and `at` falls in its opening hours.
pub async fn open_at(tx: &mut Tx, branch_id: Uuid, at: Option<DateTime<Utc>>) -> Result<bool> {
    Ok(
        sqlx::query_scalar("select branch_open_at($1, greatest(coalesce($2, now()), now()))")
            .bind(branch_id)
            .bind(at)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// An order for pickup, takeaway or a table from a guest or a customer needs the branch open
/// when it is to be made: now, or at the time it is scheduled for. Staff at the till are in the
/// branch and may ring up orders whatever its published hours say.
pub async fn check_open_for(
    tx: &mut Tx,
    branch_id: Uuid,
    scheduled_for: Option<DateTime<Utc>>,
) -> Result<()> {
    if open_at(tx, branch_id, scheduled_for).await? {
        return Ok(());
    }
    Err(Error::unprocessable(
        "branch_closed",
        match scheduled_for {
            Some(_) => {
                "the branch is closed at the time the order is scheduled for; choose a \
                        time within its opening hours"
            }
            None => {
                "the branch is closed now; schedule the order (scheduledFor) for a time \
                     within its opening hours"
            }
        },
    ))
}

/// The branch's zone for the point, or a 422 saying why it does not deliver there: the branch
/// is closed now, or no zone of it covers the point.
pub async fn zone_at(tx: &mut Tx, branch_id: Uuid, lat: f64, lng: f64) -> Result<Zone> {
    if !open_at(tx, branch_id, None).await? {
        return Err(Error::unprocessable(
            "branch_closed",
            "the branch is closed now and takes no delivery orders",
        ));
    }
    sqlx::query_as("select * from delivery_zone_at($1, $2, $3)")
        .bind(branch_id)
        .bind(lat)
        .bind(lng)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| {
            Error::unprocessable(
                "outside_delivery_zone",
                "the branch does not deliver to this address; choose pickup or another branch",
            )
        })
}

/// Checkout's first delivery step, before pricing: a delivery order must carry an address
/// inside a zone of an open branch; any other order type must not carry one.
pub async fn resolve(
    tx: &mut Tx,
    branch_id: Uuid,
    order_type: OrderType,
    to: Option<&DeliveryAddress>,
) -> Result<Option<Zone>> {
    match (order_type, to) {
        (OrderType::Delivery, Some(to)) => Ok(Some(zone_at(tx, branch_id, to.lat, to.lng).await?)),
        (OrderType::Delivery, None) => Err(Error::invalid(
            "delivery",
            "a delivery order needs the address and its lat/lng",
        )),
        (_, Some(_)) => Err(Error::invalid(
            "delivery",
            "only a delivery order has a delivery address",
        )),
        (_, None) => Ok(None),
    }
}

/// After pricing: the zone's minimum is on the items (before discounts), so a promo code
/// cannot push a delivery under it after the fact.
pub fn check_minimum(zone: &Zone, totals: &Totals) -> Result<()> {
    if totals.items_gross < zone.minimum_order {
        return Err(Error::unprocessable(
            "below_delivery_minimum",
            format!(
                "the {} zone delivers orders of at least {} (minor units); the items come to {}",
                zone.name, zone.minimum_order, totals.items_gross
            ),
        ));
    }
    Ok(())
}

/// After the order row: its delivery details, with the fee and ETA as quoted. The hand-over
/// code is drawn by the database.
pub async fn record(
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    order_id: Uuid,
    to: &DeliveryAddress,
    zone: &Zone,
) -> Result<()> {
    sqlx::query(
        "insert into order_deliveries (order_id, tenant_id, branch_id, zone_id, address, \
         address_notes, lat, lng, fee, eta_minutes) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(order_id)
    .bind(who.tenant_id)
    .bind(branch_id)
    .bind(zone.zone_id)
    .bind(&to.address)
    .bind(&to.notes)
    .bind(to.lat)
    .bind(to.lng)
    .bind(zone.fee)
    .bind(zone.eta_minutes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
