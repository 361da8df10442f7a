//! Demo stations and routing: every demo branch gets the stations the demo menu's items name
//! (hot, grill, fryer, cold, bakery, bar) plus expo, and each category is routed to the
//! station most of its items name.

use platform::{AppState, db::TenantScope, error::Result};
use uuid::Uuid;

const STATIONS: [(&str, &str, &str, &str); 7] = [
    ("hot", "Hot line", "الخط الساخن", "prep"),
    ("grill", "Grill", "الشواية", "prep"),
    ("fryer", "Fryer", "القلاية", "prep"),
    ("cold", "Cold", "البارد", "prep"),
    ("bakery", "Bakery", "المخبز", "prep"),
    ("bar", "Bar", "المشروبات", "prep"),
    ("expo", "Expo", "التجميع", "expo"),
];

pub async fn run(state: &AppState, tenant_id: Uuid, branches: &[Uuid]) -> Result<()> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    for branch in branches {
        for (position, (code, name, name_ar, kind)) in STATIONS.iter().enumerate() {
            sqlx::query(
                "insert into kitchen_stations (id, tenant_id, branch_id, code, name, name_ar, kind, position) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (branch_id, code) do nothing",
            )
            .bind(Uuid::now_v7())
            .bind(tenant_id)
            .bind(branch)
            .bind(code)
            .bind(name)
            .bind(name_ar)
            .bind(kind)
            .bind(position as i32)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "insert into kitchen_category_routes (tenant_id, branch_id, category_id, station_id) \
             select $1, $2, m.category_id, s.id \
             from (select category_id, mode() within group (order by station) as code \
                   from items where station is not null group by category_id) m \
             join kitchen_stations s on s.branch_id = $2 and s.code = m.code and s.kind = 'prep' \
             on conflict (branch_id, category_id) do nothing",
        )
        .bind(tenant_id)
        .bind(branch)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The demo's delivery zones, one per branch, drawn around each branch: Olaya in Riyadh as a
/// polygon (from King Fahd Road to Olaya Street, Al Olaya and Al Sulimaniyah), Dubai Marina as
/// a 3 km circle. Kept apart from [`run`] so tests that draw their own zones start with none.
pub async fn delivery_zones(
    state: &AppState,
    tenant_id: Uuid,
    riyadh: Uuid,
    dubai: Uuid,
) -> Result<()> {
    let olaya = serde_json::json!({ "type": "Polygon", "coordinates": [[
        [46.6600, 24.6700], [46.7050, 24.6700], [46.7150, 24.7000],
        [46.6950, 24.7250], [46.6650, 24.7150], [46.6600, 24.6700]
    ]] });
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    crate::delivery::repo::insert_zone(
        &mut tx,
        tenant_id,
        riyadh,
        &crate::delivery::repo::ZoneFields {
            name: "Olaya",
            name_ar: Some("العليا"),
            shape: crate::delivery::repo::Shape::Polygon {
                literal: crate::delivery::geo::polygon(&olaya)?,
                geojson: olaya,
            },
            fee: 1000,
            minimum_order: 3000,
            eta_minutes: 35,
        },
    )
    .await?;
    crate::delivery::repo::insert_zone(
        &mut tx,
        tenant_id,
        dubai,
        &crate::delivery::repo::ZoneFields {
            name: "Dubai Marina",
            name_ar: Some("دبي مارينا"),
            shape: crate::delivery::repo::Shape::Circle {
                lat: 25.0805,
                lng: 55.1403,
                metres: 3000,
            },
            fee: 800,
            minimum_order: 2500,
            eta_minutes: 30,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
