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
