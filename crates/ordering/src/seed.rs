//! The demo brand's dining tables: floor areas, seats and places on the floor plan in both
//! branches, so the POS floor plan and QR ordering work on first start. Labels already present
//! are left alone (and so is where they stand), so seeding again adds only what is missing.

use platform::{AppState, db::TenantScope, error::Result, secrets::random_token};
use uuid::Uuid;

use crate::tables::{
    model::TableShape::{self, Rect, Round},
    repo::{self, Layout, TableFields},
};

/// A demo table: label, floor area, seats, and its place on the 1000 × 1000 plan (x, y, width,
/// height, shape, rotation).
pub type DemoTable = (&'static str, &'static str, i32, [i32; 4], TableShape, i32);

/// Riyadh: the main hall on the left, the family section on the right behind its screen, the
/// terrace along the bottom.
pub const RIYADH_TABLES: [DemoTable; 8] = [
    ("T1", "Main hall", 4, [60, 80, 110, 110], Rect, 0),
    ("T2", "Main hall", 4, [230, 80, 110, 110], Rect, 0),
    ("T3", "Main hall", 2, [400, 95, 80, 80], Round, 0),
    ("T4", "Main hall", 6, [60, 270, 220, 110], Rect, 0),
    ("F1", "Family section", 6, [640, 80, 180, 120], Rect, 0),
    ("F2", "Family section", 8, [640, 280, 240, 130], Rect, 0),
    ("P1", "Terrace", 4, [120, 700, 120, 120], Round, 0),
    ("P2", "Terrace", 2, [330, 720, 80, 80], Round, 0),
];
/// Dubai: tables along the marina windows, two stools at the bar.
pub const DUBAI_TABLES: [DemoTable; 5] = [
    ("M1", "Marina view", 2, [80, 100, 80, 80], Round, 0),
    ("M2", "Marina view", 4, [240, 90, 110, 110], Rect, 0),
    ("M3", "Marina view", 4, [430, 90, 110, 110], Rect, 45),
    ("B1", "Bar", 1, [700, 120, 60, 60], Round, 0),
    ("B2", "Bar", 1, [800, 120, 60, 60], Round, 0),
];

pub async fn run(state: &AppState, tenant_id: Uuid, riyadh: Uuid, dubai: Uuid) -> Result<()> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    for (branch, tables) in [(riyadh, &RIYADH_TABLES[..]), (dubai, &DUBAI_TABLES[..])] {
        for (label, area, seats, [x, y, width, height], shape, rotation) in tables {
            let fields = TableFields {
                label,
                floor_area: Some(area),
                seats: *seats,
                active: true,
                layout: Layout {
                    x: Some(*x),
                    y: Some(*y),
                    width: Some(*width),
                    height: Some(*height),
                    shape: Some(*shape),
                    rotation: Some(*rotation),
                },
            };
            repo::seed_table(&mut tx, tenant_id, branch, &fields, &random_token(24)).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The brand's first table still in service (label and QR token), for a QR ordering URL in the
/// start-up output that opens a real table.
pub async fn first_table(state: &AppState, tenant_id: Uuid) -> Result<Option<(String, String)>> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let table = sqlx::query_as(
        "select label, qr_token from dining_tables where active and archived_at is null \
         order by created_at, id limit 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(table)
}
