//! The demo brand's dining tables: floor areas and seats in both branches, so the POS floor
//! plan and QR ordering work on first start. Labels already present are left alone, so seeding
//! again adds only what is missing.

use platform::{AppState, db::TenantScope, error::Result, secrets::random_token};
use uuid::Uuid;

use crate::tables::repo::{self, TableFields};

/// (label, floor area, seats) per branch.
pub const RIYADH_TABLES: [(&str, &str, i32); 8] = [
    ("T1", "Main hall", 4),
    ("T2", "Main hall", 4),
    ("T3", "Main hall", 2),
    ("T4", "Main hall", 6),
    ("F1", "Family section", 6),
    ("F2", "Family section", 8),
    ("P1", "Terrace", 4),
    ("P2", "Terrace", 2),
];
pub const DUBAI_TABLES: [(&str, &str, i32); 5] = [
    ("M1", "Marina view", 2),
    ("M2", "Marina view", 4),
    ("M3", "Marina view", 4),
    ("B1", "Bar", 1),
    ("B2", "Bar", 1),
];

pub async fn run(state: &AppState, tenant_id: Uuid, riyadh: Uuid, dubai: Uuid) -> Result<()> {
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    for (branch, tables) in [(riyadh, &RIYADH_TABLES[..]), (dubai, &DUBAI_TABLES[..])] {
        for (label, area, seats) in tables {
            let fields = TableFields {
                label,
                floor_area: Some(area),
                seats: *seats,
                active: true,
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
