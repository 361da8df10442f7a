//! Dining tables: a branch's tables with their floor area and seats, managed by its owner and
//! managers, each with an unguessable QR token. Scanning the QR code opens the table's branch
//! menu and its shared cart: `GET /api/tables/{token}` says where the guest is, and
//! `POST /api/tables/{token}/join` (in `carts::join`: it joins the table's *cart*) puts them in
//! the table's open cart, starting a guest session when they come without one.

pub mod model;
pub mod repo;
pub mod routes;

use platform::{
    AppState,
    auth::Principal,
    db::TenantScope,
    error::{Error, Result, ResultExt},
    secrets::random_token,
};
use uuid::Uuid;

use model::{CartTable, TableInput, TableView};
use repo::{DiningTable, Layout, TableFields};

/// 24 random bytes, URL-safe base64 (32 characters): not to be guessed or enumerated.
fn new_token() -> String {
    random_token(24)
}

fn fields(input: &TableInput) -> TableFields<'_> {
    TableFields {
        label: input.label.trim(),
        floor_area: input.floor_area.as_deref().map(str::trim),
        seats: input.seats,
        active: input.active,
        layout: Layout {
            x: input.x,
            y: input.y,
            width: input.width,
            height: input.height,
            shape: input.shape,
            rotation: input.rotation,
        },
    }
}

/// A place and size that would put the table partly off the plan: the database's check, told
/// on the field to move.
fn off_the_plan<T>(r: Result<T>) -> Result<T> {
    r.on_constraint("dining_tables_inside_plan_x", || {
        Error::invalid(
            "x",
            "x + width must be at most 1000: the table must lie on the plan",
        )
    })
    .on_constraint("dining_tables_inside_plan_y", || {
        Error::invalid(
            "y",
            "y + height must be at most 1000: the table must lie on the plan",
        )
    })
}

fn label_taken() -> Error {
    Error::conflict(
        "label_taken",
        "the branch has a table with this label already",
    )
}

/// Owners and managers of the table's branch.
fn require_manager_of(who: &Principal, branch_id: Uuid) -> Result<()> {
    who.require_branch(branch_id)
}

pub async fn create(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    input: &TableInput,
) -> Result<DiningTable> {
    require_manager_of(who, branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    let table = off_the_plan(
        repo::insert_table(
            &mut tx,
            who.tenant_id,
            branch_id,
            &fields(input),
            &new_token(),
        )
        .await,
    )
    .on_constraint("dining_tables_label_key", label_taken)?;
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "dining_table.created",
            entity: "dining_table",
            entity_id: Some(table.id),
            before: None,
            after: Some(audit_view(&table)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(table)
}

/// What the audit log keeps of a table (never its token: the log is read by more people).
fn audit_view(t: &DiningTable) -> serde_json::Value {
    serde_json::json!({ "label": t.label, "floorArea": t.floor_area, "seats": t.seats,
                        "active": t.active, "branchId": t.branch_id, "x": t.x, "y": t.y,
                        "width": t.width, "height": t.height, "shape": t.shape,
                        "rotation": t.rotation })
}

pub async fn list(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<Vec<DiningTable>> {
    who.require_branch(branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    let tables = repo::tables(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(tables)
}

async fn audited(
    tx: &mut platform::db::Tx,
    who: &Principal,
    action: &'static str,
    before: &DiningTable,
    after: Option<&DiningTable>,
) -> Result<()> {
    platform::audit::record(
        tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action,
            entity: "dining_table",
            entity_id: Some(before.id),
            before: Some(audit_view(before)),
            after: after.map(audit_view),
        },
    )
    .await
}

pub async fn update(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    input: &TableInput,
) -> Result<DiningTable> {
    let mut tx = state.db.begin(who.scope()).await?;
    let before = repo::table(&mut tx, id, true).await?;
    require_manager_of(who, before.branch_id)?;
    let after = off_the_plan(repo::update_table(&mut tx, id, &fields(input)).await)
        .on_constraint("dining_tables_label_key", label_taken)?;
    audited(&mut tx, who, "dining_table.updated", &before, Some(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// A new QR token: the old code stops working (a printed code that walked off).
pub async fn regenerate_token(state: &AppState, who: &Principal, id: Uuid) -> Result<DiningTable> {
    let mut tx = state.db.begin(who.scope()).await?;
    let before = repo::table(&mut tx, id, true).await?;
    require_manager_of(who, before.branch_id)?;
    let after = repo::set_table_token(&mut tx, id, &new_token()).await?;
    audited(
        &mut tx,
        who,
        "dining_table.token_regenerated",
        &before,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Archives the table; its open cart, if any, is abandoned.
pub async fn archive(state: &AppState, who: &Principal, id: Uuid) -> Result<()> {
    let mut tx = state.db.begin(who.scope()).await?;
    let before = repo::table(&mut tx, id, true).await?;
    require_manager_of(who, before.branch_id)?;
    repo::archive_table(&mut tx, id).await?;
    audited(&mut tx, who, "dining_table.archived", &before, None).await?;
    tx.commit().await?;
    Ok(())
}

/// The table behind a QR token, read in its brand's scope. Unknown, inactive or archived → 404.
pub(crate) async fn by_token(
    state: &AppState,
    token: &str,
) -> Result<(Uuid, DiningTable, TableView)> {
    if !(token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(Error::NotFound);
    }
    let mut tx = state.db.begin_anonymous().await?;
    let tenant_id = repo::table_tenant_by_token(&mut tx, token)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    let table = repo::table_by_token(&mut tx, token).await?;
    let branch = identity::repo::branch(&mut tx, table.branch_id).await?;
    tx.commit().await?;
    if branch.status == "archived" {
        return Err(Error::NotFound);
    }
    let view = TableView {
        table: CartTable {
            id: table.id,
            label: table.label.clone(),
            floor_area: table.floor_area.clone(),
        },
        seats: table.seats,
        branch_id: branch.id,
        branch_name: branch.name,
        branch_name_ar: branch.name_ar,
        menu_url: format!("/api/branches/{}/menu", branch.id),
    };
    Ok((tenant_id, table, view))
}

/// `GET /api/tables/{token}`.
pub async fn view(state: &AppState, token: &str) -> Result<TableView> {
    Ok(by_token(state, token).await?.2)
}
