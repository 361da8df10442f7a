//! All SQL of the catalog. Every function runs in the caller's tenant-scoped transaction, so
//! RLS keeps it inside one brand; the explicit `tenant_id` conditions are there for the indexes.

use chrono::{DateTime, Utc};
use platform::{
    db::Tx,
    error::{Error, Result},
};
use sqlx::{FromRow, types::Json};
use uuid::Uuid;

use crate::{
    daypart::DayPart,
    model::{CategoryInput, ComboInput, ItemInput, ItemOverride, MenuInput, ModifierGroupInput},
};

/// A missing referenced row (a category of another brand, an unknown image) becomes a 422
/// naming the field, not a 500.
pub(crate) fn references(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        let field = |c: &str| {
            [
                ("variant", "variantOf"),
                ("menu", "menuId"),
                ("category", "categoryId"),
                ("image", "image"),
                ("group", "modifierGroupIds"),
                ("item", "itemId"),
            ]
            .into_iter()
            .find(|(k, _)| c.contains(k))
            .map_or("body", |(_, f)| f)
        };
        match (db.code().as_deref(), db.constraint()) {
            (Some("23503"), Some(c)) => {
                return Error::invalid(field(c), "does not name a record of this brand");
            }
            (Some("23505"), Some("items_sku_key")) => {
                return Error::conflict("sku_taken", "another item of this brand has that SKU");
            }
            _ => {}
        }
    }
    e.into()
}

fn found(rows: u64) -> Result<()> {
    if rows == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// Bumps the brand's catalog version (and takes its row lock, which serialises the brand's
/// catalog writers until commit).
pub async fn bump_version(tx: &mut Tx, tenant_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "insert into catalog_state (tenant_id, version) values ($1, 1) \
         on conflict (tenant_id) do update set version = catalog_state.version + 1 \
         returning version",
    )
    .bind(tenant_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn version(tx: &mut Tx, tenant_id: Uuid) -> Result<i64> {
    Ok(
        sqlx::query_scalar("select version from catalog_state where tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or(0),
    )
}

/// The branches whose menus a brand-wide change affects.
pub async fn live_branches(tx: &mut Tx) -> Result<Vec<Uuid>> {
    Ok(
        sqlx::query_scalar("select id from branches where status <> 'archived' order by id")
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// The tenant of a branch that is not archived (before any tenant is known: public reads).
pub async fn branch_tenant(tx: &mut Tx, branch_id: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("select catalog_branch_tenant($1)")
        .bind(branch_id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Whether the branch exists in the current tenant (and is not archived).
pub async fn branch_exists(tx: &mut Tx, branch_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from branches where id = $1 and status <> 'archived')",
    )
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}

// ---- menus, categories --------------------------------------------------------------------

pub async fn insert_menu(tx: &mut Tx, tenant_id: Uuid, id: Uuid, m: &MenuInput) -> Result<()> {
    sqlx::query(
        "insert into menus (id, tenant_id, name, name_ar, schedule, position) \
         values ($1, $2, $3, $4, $5, \
                 (select coalesce(max(position) + 1, 0) from menus where tenant_id = $2))",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(&m.name)
    .bind(&m.name_ar)
    .bind(Json(&m.schedule))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn update_menu(tx: &mut Tx, id: Uuid, m: &MenuInput) -> Result<()> {
    found(
        sqlx::query(
            "update menus set name = $2, name_ar = $3, schedule = $4 \
             where id = $1 and archived_at is null",
        )
        .bind(id)
        .bind(&m.name)
        .bind(&m.name_ar)
        .bind(Json(&m.schedule))
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    )
}

pub async fn insert_category(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    c: &CategoryInput,
) -> Result<()> {
    sqlx::query(
        "insert into categories (id, tenant_id, menu_id, name, name_ar, description, \
                                 description_ar, image, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, \
                 (select coalesce(max(position) + 1, 0) from categories \
                  where tenant_id = $2 and menu_id = $3))",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(c.menu_id)
    .bind(&c.name)
    .bind(&c.name_ar)
    .bind(&c.description)
    .bind(&c.description_ar)
    .bind(&c.image)
    .execute(&mut **tx)
    .await
    .map_err(references)?;
    Ok(())
}

pub async fn update_category(tx: &mut Tx, id: Uuid, c: &CategoryInput) -> Result<()> {
    found(
        sqlx::query(
            "update categories set menu_id = $2, name = $3, name_ar = $4, description = $5, \
                    description_ar = $6, image = $7 \
             where id = $1 and archived_at is null",
        )
        .bind(id)
        .bind(c.menu_id)
        .bind(&c.name)
        .bind(&c.name_ar)
        .bind(&c.description)
        .bind(&c.description_ar)
        .bind(&c.image)
        .execute(&mut **tx)
        .await
        .map_err(references)?
        .rows_affected(),
    )
}

/// The catalog tables whose rows archive and reorder the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Menus,
    Categories,
    Items,
    ModifierGroups,
    Combos,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Menus => "menus",
            Table::Categories => "categories",
            Table::Items => "items",
            Table::ModifierGroups => "modifier_groups",
            Table::Combos => "combos",
        }
    }
}

/// Archives a row: gone from menus and the admin listing, kept for the orders that sold it.
pub async fn archive(tx: &mut Tx, table: Table, id: Uuid) -> Result<()> {
    found(
        sqlx::query(&format!(
            "update {} set archived_at = now() where id = $1 and archived_at is null",
            table.name()
        ))
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    )
}

/// Sets `position` to the index of each id in `ids`. Every id must be a live row of the table
/// (in this brand); otherwise nothing changes and the answer is 422.
pub async fn reorder(tx: &mut Tx, table: Table, ids: &[Uuid]) -> Result<()> {
    if table == Table::ModifierGroups {
        return Err(Error::NotFound);
    }
    let updated = sqlx::query(&format!(
        "update {} t set position = o.ord - 1 \
         from unnest($1::uuid[]) with ordinality as o(id, ord) \
         where t.id = o.id and t.archived_at is null",
        table.name()
    ))
    .bind(ids)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated as usize != ids.len() {
        return Err(Error::invalid(
            "ids",
            "every id must be a live record of this brand, once",
        ));
    }
    Ok(())
}

// ---- items ----------------------------------------------------------------------------------

pub async fn insert_item(tx: &mut Tx, tenant_id: Uuid, id: Uuid, i: &ItemInput) -> Result<()> {
    sqlx::query(
        "insert into items (id, tenant_id, category_id, sku, name, name_ar, description, \
                            description_ar, price, image, calories, allergens, dietary, station, \
                            prep_seconds, active, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 (select coalesce(max(position) + 1, 0) from items \
                  where tenant_id = $2 and category_id = $3))",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(i.category_id)
    .bind(&i.sku)
    .bind(&i.name)
    .bind(&i.name_ar)
    .bind(&i.description)
    .bind(&i.description_ar)
    .bind(i.price)
    .bind(&i.image)
    .bind(i.calories)
    .bind(&i.allergens)
    .bind(&i.dietary)
    .bind(&i.station)
    .bind(i.prep_seconds)
    .bind(i.active)
    .execute(&mut **tx)
    .await
    .map_err(references)?;
    set_item_groups(tx, tenant_id, id, &i.modifier_group_ids).await
}

pub async fn update_item(tx: &mut Tx, tenant_id: Uuid, id: Uuid, i: &ItemInput) -> Result<()> {
    found(
        sqlx::query(
            "update items set category_id = $2, sku = $3, name = $4, name_ar = $5, \
                    description = $6, description_ar = $7, price = $8, image = $9, \
                    calories = $10, allergens = $11, dietary = $12, station = $13, \
                    prep_seconds = $14, active = $15, updated_at = now() \
             where id = $1 and archived_at is null",
        )
        .bind(id)
        .bind(i.category_id)
        .bind(&i.sku)
        .bind(&i.name)
        .bind(&i.name_ar)
        .bind(&i.description)
        .bind(&i.description_ar)
        .bind(i.price)
        .bind(&i.image)
        .bind(i.calories)
        .bind(&i.allergens)
        .bind(&i.dietary)
        .bind(&i.station)
        .bind(i.prep_seconds)
        .bind(i.active)
        .execute(&mut **tx)
        .await
        .map_err(references)?
        .rows_affected(),
    )?;
    set_item_groups(tx, tenant_id, id, &i.modifier_group_ids).await
}

async fn set_item_groups(tx: &mut Tx, tenant_id: Uuid, item: Uuid, groups: &[Uuid]) -> Result<()> {
    sqlx::query("delete from item_modifier_groups where item_id = $1")
        .bind(item)
        .execute(&mut **tx)
        .await?;
    let live: i64 = sqlx::query_scalar(
        "select count(*) from modifier_groups where id = any($1) and archived_at is null",
    )
    .bind(groups)
    .fetch_one(&mut **tx)
    .await?;
    let mut distinct = groups.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if live as usize != groups.len() || distinct.len() != groups.len() {
        return Err(Error::invalid(
            "modifierGroupIds",
            "every id must be a live modifier group of this brand, once",
        ));
    }
    sqlx::query(
        "insert into item_modifier_groups (tenant_id, item_id, group_id, position) \
         select $1, $2, g, o - 1 from unnest($3::uuid[]) with ordinality as u(g, o)",
    )
    .bind(tenant_id)
    .bind(item)
    .bind(groups)
    .execute(&mut **tx)
    .await
    .map_err(references)?;
    Ok(())
}

/// Changes the price of the chosen items; returns how many changed. Prices are rounded to
/// `round_to` minor units (half up) and never go below zero.
pub async fn bulk_price(
    tx: &mut Tx,
    item_ids: &[Uuid],
    category_id: Option<Uuid>,
    percent_bp: i32,
    amount: i64,
    round_to: i64,
) -> Result<Vec<(Uuid, i64, i64)>> {
    let rows: Vec<(Uuid, i64, i64)> = sqlx::query_as(
        "with chosen as ( \
             select id, price from items \
             where archived_at is null \
               and (cardinality($1::uuid[]) = 0 or id = any($1)) \
               and ($2::uuid is null or category_id = $2) \
             for update), \
         priced as ( \
             select id, price as before, \
                    greatest(0, least(100000000, \
                        round((price * (10000 + $3)::numeric / 10000 + $4) / $5) * $5 \
                    ))::bigint as after \
             from chosen) \
         update items i set price = p.after, updated_at = now() \
         from priced p where i.id = p.id and p.after <> p.before \
         returning i.id, p.before, p.after",
    )
    .bind(item_ids)
    .bind(category_id)
    .bind(percent_bp)
    .bind(amount)
    .bind(round_to)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows)
}

// ---- modifier groups ------------------------------------------------------------------------

pub async fn insert_group(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    g: &ModifierGroupInput,
) -> Result<Vec<Uuid>> {
    sqlx::query(
        "insert into modifier_groups (id, tenant_id, name, name_ar, min_select, max_select) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(&g.name)
    .bind(&g.name_ar)
    .bind(g.min_select)
    .bind(g.max_select)
    .execute(&mut **tx)
    .await?;
    write_options(tx, tenant_id, id, g).await
}

pub async fn update_group(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    g: &ModifierGroupInput,
) -> Result<Vec<Uuid>> {
    found(
        sqlx::query(
            "update modifier_groups set name = $2, name_ar = $3, min_select = $4, max_select = $5 \
             where id = $1 and archived_at is null",
        )
        .bind(id)
        .bind(&g.name)
        .bind(&g.name_ar)
        .bind(g.min_select)
        .bind(g.max_select)
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    )?;
    write_options(tx, tenant_id, id, g).await
}

/// Makes the group's live options exactly `g.options`: those with an id are updated (orders
/// keep referring to them), new ones inserted, the rest archived. Returns the option ids.
async fn write_options(
    tx: &mut Tx,
    tenant_id: Uuid,
    group: Uuid,
    g: &ModifierGroupInput,
) -> Result<Vec<Uuid>> {
    // Ids given must be this group's options (public menus show option ids of every brand).
    let given: Vec<Uuid> = g.options.iter().filter_map(|o| o.id).collect();
    let known: i64 = sqlx::query_scalar(
        "select count(*) from modifier_options where group_id = $1 and id = any($2)",
    )
    .bind(group)
    .bind(&given)
    .fetch_one(&mut **tx)
    .await?;
    let mut distinct = given.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if known as usize != given.len() || distinct.len() != given.len() {
        return Err(Error::invalid(
            "options",
            "an option id must be one of this group's options, once",
        ));
    }
    let ids: Vec<Uuid> = g
        .options
        .iter()
        .map(|o| o.id.unwrap_or_else(Uuid::now_v7))
        .collect();
    sqlx::query(
        "update modifier_options set archived_at = now() \
         where group_id = $1 and archived_at is null and id <> all($2)",
    )
    .bind(group)
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    for (position, (o, id)) in g.options.iter().zip(&ids).enumerate() {
        sqlx::query(
            "insert into modifier_options (id, tenant_id, group_id, name, name_ar, price_delta, \
                                           is_default, item_id, position) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             on conflict (id) do update set name = excluded.name, name_ar = excluded.name_ar, \
                 price_delta = excluded.price_delta, is_default = excluded.is_default, \
                 item_id = excluded.item_id, position = excluded.position, archived_at = null",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(group)
        .bind(&o.name)
        .bind(&o.name_ar)
        .bind(o.price_delta)
        .bind(o.default)
        .bind(o.item_id)
        .bind(position as i32)
        .execute(&mut **tx)
        .await
        .map_err(references)?;
    }
    Ok(ids)
}

// ---- combos -----------------------------------------------------------------------------------

pub async fn insert_combo(tx: &mut Tx, tenant_id: Uuid, id: Uuid, c: &ComboInput) -> Result<()> {
    sqlx::query(
        "insert into combos (id, tenant_id, category_id, sku, name, name_ar, description, \
                             description_ar, price, image, active, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 (select coalesce(max(position) + 1, 0) from combos \
                  where tenant_id = $2 and category_id = $3))",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(c.category_id)
    .bind(&c.sku)
    .bind(&c.name)
    .bind(&c.name_ar)
    .bind(&c.description)
    .bind(&c.description_ar)
    .bind(c.price)
    .bind(&c.image)
    .bind(c.active)
    .execute(&mut **tx)
    .await
    .map_err(references)?;
    write_slots(tx, tenant_id, id, c).await
}

pub async fn update_combo(tx: &mut Tx, tenant_id: Uuid, id: Uuid, c: &ComboInput) -> Result<()> {
    found(
        sqlx::query(
            "update combos set category_id = $2, sku = $3, name = $4, name_ar = $5, \
                    description = $6, description_ar = $7, price = $8, image = $9, active = $10 \
             where id = $1 and archived_at is null",
        )
        .bind(id)
        .bind(c.category_id)
        .bind(&c.sku)
        .bind(&c.name)
        .bind(&c.name_ar)
        .bind(&c.description)
        .bind(&c.description_ar)
        .bind(c.price)
        .bind(&c.image)
        .bind(c.active)
        .execute(&mut **tx)
        .await
        .map_err(references)?
        .rows_affected(),
    )?;
    write_slots(tx, tenant_id, id, c).await
}

/// Replaces the combo's slots. Orders keep a copy of what was chosen, so slots are
/// configuration, not records to preserve.
async fn write_slots(tx: &mut Tx, tenant_id: Uuid, combo: Uuid, c: &ComboInput) -> Result<()> {
    sqlx::query(
        "delete from combo_slot_choices where slot_id in \
             (select id from combo_slots where combo_id = $1)",
    )
    .bind(combo)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from combo_slots where combo_id = $1")
        .bind(combo)
        .execute(&mut **tx)
        .await?;
    for (position, slot) in c.slots.iter().enumerate() {
        let slot_id = Uuid::now_v7();
        sqlx::query(
            "insert into combo_slots (id, tenant_id, combo_id, name, name_ar, position) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(slot_id)
        .bind(tenant_id)
        .bind(combo)
        .bind(&slot.name)
        .bind(&slot.name_ar)
        .bind(position as i32)
        .execute(&mut **tx)
        .await?;
        for (p, choice) in slot.choices.iter().enumerate() {
            sqlx::query(
                "insert into combo_slot_choices (tenant_id, slot_id, item_id, price_delta, \
                                                 is_default, position) \
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant_id)
            .bind(slot_id)
            .bind(choice.item_id)
            .bind(choice.price_delta)
            .bind(choice.default)
            .bind(p as i32)
            .execute(&mut **tx)
            .await
            .map_err(references)?;
        }
    }
    Ok(())
}

// ---- branch overrides -------------------------------------------------------------------------

const OVERRIDE_COLS: &str = "branch_id, item_id, price, hidden, sold_out_at, sold_out_by";

pub async fn set_item_override(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    item_id: Uuid,
    price: Option<i64>,
    hidden: bool,
) -> Result<ItemOverride> {
    sqlx::query_as(&format!(
        "insert into branch_item_overrides (tenant_id, branch_id, item_id, price, hidden) \
         values ($1, $2, $3, $4, $5) \
         on conflict (branch_id, item_id) do update \
             set price = excluded.price, hidden = excluded.hidden, updated_at = now() \
         returning {OVERRIDE_COLS}"
    ))
    .bind(tenant_id)
    .bind(branch_id)
    .bind(item_id)
    .bind(price)
    .bind(hidden)
    .fetch_one(&mut **tx)
    .await
    .map_err(references)
}

/// 86: the item is sold out at the branch from now, by `user`, until un-86'd. Setting it again
/// keeps the first time and person.
pub async fn set_sold_out(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    item_id: Uuid,
    user: Option<Uuid>,
) -> Result<ItemOverride> {
    sqlx::query_as(&format!(
        "insert into branch_item_overrides (tenant_id, branch_id, item_id, sold_out_at, sold_out_by) \
         values ($1, $2, $3, now(), $4) \
         on conflict (branch_id, item_id) do update \
             set sold_out_at = coalesce(branch_item_overrides.sold_out_at, now()), \
                 sold_out_by = coalesce(branch_item_overrides.sold_out_by, excluded.sold_out_by), \
                 updated_at = now() \
         returning {OVERRIDE_COLS}"
    ))
    .bind(tenant_id)
    .bind(branch_id)
    .bind(item_id)
    .bind(user)
    .fetch_one(&mut **tx)
    .await
    .map_err(references)
}

/// Un-86: back on sale, with the branch's price and visibility as they were.
pub async fn clear_sold_out(
    tx: &mut Tx,
    branch_id: Uuid,
    item_id: Uuid,
) -> Result<Option<ItemOverride>> {
    Ok(sqlx::query_as(&format!(
        "update branch_item_overrides set sold_out_at = null, sold_out_by = null, updated_at = now() \
         where branch_id = $1 and item_id = $2 returning {OVERRIDE_COLS}"
    ))
    .bind(branch_id)
    .bind(item_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn item_overrides(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<ItemOverride>> {
    Ok(sqlx::query_as(&format!(
        "select {OVERRIDE_COLS} from branch_item_overrides where branch_id = $1 order by item_id"
    ))
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn set_category_override(
    tx: &mut Tx,
    tenant_id: Uuid,
    branch_id: Uuid,
    category_id: Uuid,
    hidden: bool,
) -> Result<()> {
    sqlx::query(
        "insert into branch_category_overrides (tenant_id, branch_id, category_id, hidden) \
         values ($1, $2, $3, $4) \
         on conflict (branch_id, category_id) do update set hidden = excluded.hidden",
    )
    .bind(tenant_id)
    .bind(branch_id)
    .bind(category_id)
    .bind(hidden)
    .execute(&mut **tx)
    .await
    .map_err(references)?;
    Ok(())
}

pub async fn category_exists(tx: &mut Tx, category_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from categories where id = $1 and archived_at is null)",
    )
    .bind(category_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn item_exists(tx: &mut Tx, item_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from items where id = $1 and archived_at is null)",
    )
    .bind(item_id)
    .fetch_one(&mut **tx)
    .await?)
}

// ---- reading the catalog (menu building and export) ------------------------------------------

pub async fn branch_time_zone(tx: &mut Tx, branch_id: Uuid) -> Result<String> {
    sqlx::query_scalar("select time_zone from branches where id = $1 and status <> 'archived'")
        .bind(branch_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound)
}

#[derive(Debug, FromRow)]
pub struct MenuRow {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub schedule: Json<Vec<DayPart>>,
}

pub async fn menus(tx: &mut Tx) -> Result<Vec<MenuRow>> {
    Ok(sqlx::query_as(
        "select id, name, name_ar, schedule from menus where archived_at is null \
         order by position, id",
    )
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub menu_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub image: Option<String>,
    /// Hidden at the branch the rows are read for.
    pub hidden: bool,
}

/// Live categories; `hidden` as the branch says (false without a branch).
pub async fn categories(tx: &mut Tx, branch: Option<Uuid>) -> Result<Vec<CategoryRow>> {
    Ok(sqlx::query_as(
        "select c.id, c.menu_id, c.name, c.name_ar, c.description, c.description_ar, c.image, \
                coalesce(o.hidden, false) as hidden \
         from categories c \
         left join branch_category_overrides o on o.category_id = c.id and o.branch_id = $1 \
         where c.archived_at is null order by c.position, c.id",
    )
    .bind(branch)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub category_id: Uuid,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub price: i64,
    /// The branch's price, when it has its own.
    pub branch_price: Option<i64>,
    pub image: Option<String>,
    pub calories: Option<i32>,
    pub allergens: Vec<String>,
    pub dietary: Vec<String>,
    pub station: Option<String>,
    pub prep_seconds: Option<i32>,
    pub active: bool,
    pub hidden: bool,
    pub sold_out: bool,
    pub group_ids: Vec<Uuid>,
}

pub async fn items(tx: &mut Tx, branch: Option<Uuid>) -> Result<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "select i.id, i.category_id, i.sku, i.name, i.name_ar, i.description, i.description_ar, \
                i.price, o.price as branch_price, i.image, i.calories, i.allergens, i.dietary, \
                i.station, i.prep_seconds, i.active, coalesce(o.hidden, false) as hidden, \
                o.sold_out_at is not null as sold_out, \
                array(select g.group_id from item_modifier_groups g join modifier_groups mg \
                        on mg.id = g.group_id and mg.archived_at is null \
                      where g.item_id = i.id order by g.position) as group_ids \
         from items i \
         left join branch_item_overrides o on o.item_id = i.id and o.branch_id = $1 \
         where i.archived_at is null order by i.position, i.id",
    )
    .bind(branch)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct GroupRow {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub min_select: i32,
    pub max_select: i32,
}

pub async fn groups(tx: &mut Tx) -> Result<Vec<GroupRow>> {
    Ok(sqlx::query_as(
        "select id, name, name_ar, min_select, max_select from modifier_groups \
         where archived_at is null order by created_at, id",
    )
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct OptionRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub price_delta: i64,
    pub is_default: bool,
    pub item_id: Option<Uuid>,
    /// The option's item is 86'd, hidden or inactive at the branch.
    pub sold_out: bool,
}

pub async fn options(tx: &mut Tx, branch: Option<Uuid>) -> Result<Vec<OptionRow>> {
    Ok(sqlx::query_as(
        "select m.id, m.group_id, m.name, m.name_ar, m.price_delta, m.is_default, m.item_id, \
                coalesce(o.sold_out_at is not null or o.hidden or not i.active \
                         or i.archived_at is not null, false) as sold_out \
         from modifier_options m \
         left join items i on i.id = m.item_id \
         left join branch_item_overrides o on o.item_id = m.item_id and o.branch_id = $1 \
         where m.archived_at is null order by m.group_id, m.position, m.id",
    )
    .bind(branch)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct ComboRow {
    pub id: Uuid,
    pub category_id: Uuid,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub price: i64,
    pub image: Option<String>,
    pub active: bool,
}

pub async fn combos(tx: &mut Tx) -> Result<Vec<ComboRow>> {
    Ok(sqlx::query_as(
        "select id, category_id, sku, name, name_ar, description, description_ar, price, image, \
                active \
         from combos where archived_at is null order by position, id",
    )
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow)]
pub struct ChoiceRow {
    pub combo_id: Uuid,
    pub slot_id: Uuid,
    pub slot_name: String,
    pub slot_name_ar: Option<String>,
    pub item_id: Uuid,
    pub item_name: String,
    pub item_name_ar: Option<String>,
    pub price_delta: i64,
    pub is_default: bool,
    pub sold_out: bool,
}

/// Every combo slot choice, in slot then choice order.
pub async fn choices(tx: &mut Tx, branch: Option<Uuid>) -> Result<Vec<ChoiceRow>> {
    Ok(sqlx::query_as(
        "select s.combo_id, s.id as slot_id, s.name as slot_name, s.name_ar as slot_name_ar, \
                c.item_id, i.name as item_name, i.name_ar as item_name_ar, c.price_delta, \
                c.is_default, \
                (o.sold_out_at is not null or coalesce(o.hidden, false) or not i.active \
                 or i.archived_at is not null) as sold_out \
         from combo_slots s \
         join combo_slot_choices c on c.slot_id = s.id \
         join items i on i.id = c.item_id \
         left join branch_item_overrides o on o.item_id = c.item_id and o.branch_id = $1 \
         order by s.combo_id, s.position, s.id, c.position",
    )
    .bind(branch)
    .fetch_all(&mut **tx)
    .await?)
}

// ---- media ------------------------------------------------------------------------------------

/// Stores an image; `variant_of` names the image it is a smaller copy of (for `srcset`).
pub async fn insert_media(
    tx: &mut Tx,
    tenant_id: Uuid,
    image: &crate::media::Image,
    bytes: &[u8],
    variant_of: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "insert into media (tenant_id, sha256, content_type, size, width, height, bytes, variant_of) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (tenant_id, sha256) do nothing",
    )
    .bind(tenant_id)
    .bind(&image.sha256)
    .bind(image.content_type)
    .bind(bytes.len() as i32)
    .bind(image.width as i32)
    .bind(image.height as i32)
    .bind(bytes)
    .bind(variant_of)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every image of the brand with its width and, for a variant, the image it is a copy of.
#[derive(sqlx::FromRow)]
pub struct MediaSize {
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    pub variant_of: Option<String>,
}

pub async fn media_sizes(tx: &mut Tx) -> Result<Vec<MediaSize>> {
    Ok(
        sqlx::query_as("select sha256, width, height, variant_of from media order by width")
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// An image by hash, from any brand: menu images are public, and a hash names its content.
pub async fn public_media(tx: &mut Tx, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
    Ok(
        sqlx::query_as("select content_type, bytes from catalog_media($1)")
            .bind(sha256)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The brand's images with their bytes (export); originals before the variants made of them.
pub async fn all_media(tx: &mut Tx) -> Result<Vec<(String, String, Vec<u8>, Option<String>)>> {
    Ok(sqlx::query_as(
        "select sha256, content_type, bytes, variant_of from media \
             order by variant_of is not null, sha256",
    )
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn catalog_is_empty(tx: &mut Tx) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select not exists(select 1 from menus where archived_at is null) \
            and not exists(select 1 from modifier_groups where archived_at is null)",
    )
    .fetch_one(&mut **tx)
    .await?)
}

// ---- the menu cache ---------------------------------------------------------------------------

#[derive(Debug, FromRow)]
pub struct CachedMenu {
    pub etag: String,
    pub body: String,
    pub valid_until: DateTime<Utc>,
}

/// The branch's cached menu if it was built from the current catalog version and no day-part
/// boundary has passed since.
pub async fn fresh_menu(tx: &mut Tx, branch_id: Uuid) -> Result<Option<CachedMenu>> {
    Ok(sqlx::query_as(
        "select c.etag, c.body, c.valid_until from menu_cache c \
         where c.branch_id = $1 and c.valid_until > now() \
           and c.version = coalesce((select version from catalog_state s \
                                     where s.tenant_id = c.tenant_id), 0)",
    )
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub struct MenuWrite<'a> {
    pub branch_id: Uuid,
    pub tenant_id: Uuid,
    pub version: i64,
    pub etag: &'a str,
    pub body: &'a str,
    pub item_ids: &'a [Uuid],
    pub valid_until: DateTime<Utc>,
}

/// Stores a built menu, unless one built from a newer catalog version got there first. The
/// body is rewritten only when it changed.
pub async fn store_menu(tx: &mut Tx, m: &MenuWrite<'_>) -> Result<()> {
    sqlx::query(
        "insert into menu_cache (branch_id, tenant_id, version, etag, body, item_ids, valid_until) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (branch_id) do update set \
             version = excluded.version, valid_until = excluded.valid_until, \
             item_ids = excluded.item_ids, built_at = now(), \
             etag = excluded.etag, body = excluded.body \
         where menu_cache.version <= excluded.version",
    )
    .bind(m.branch_id)
    .bind(m.tenant_id)
    .bind(m.version)
    .bind(m.etag)
    .bind(m.body)
    .bind(m.item_ids)
    .bind(m.valid_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---- search -----------------------------------------------------------------------------------

/// One search result, as `catalog_search` returns it.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRow {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    /// After the branch's override.
    pub price: i64,
    pub image: Option<String>,
    pub calories: Option<i32>,
    pub rank: f32,
    pub name_html: String,
    pub name_ar_html: Option<String>,
    pub description_html: Option<String>,
}

/// What a search of a branch's menu found.
pub enum Search {
    Found(Vec<SearchRow>),
    /// The branch's cached menu is missing or out of date: build it, then ask again.
    Stale,
    /// No such branch (or archived).
    Missing,
}

/// Items of the branch's menu matching `terms`, best first: each term matches as a prefix, in
/// English or Arabic (normalised), and all terms must match; when the words find fewer than
/// `limit`, trigram similarity of the whole query to the item's names (typos) adds more.
/// Only items orderable at the branch now come out; highlights are HTML with `<mark>`, the
/// text escaped. `catalog_search` (migration `search_speed`) does it all in one call: one
/// round trip, no transaction, plans kept between calls.
pub async fn search(
    db: &platform::db::Db,
    branch_id: Uuid,
    terms: &[String],
    lang: &str,
    limit: i64,
) -> Result<Search> {
    let mut answer: serde_json::Value = sqlx::query_scalar("select catalog_search($1, $2, $3, $4)")
        .bind(branch_id)
        .bind(terms)
        .bind(lang)
        .bind(limit as i32)
        .fetch_one(&db.pool)
        .await?;
    Ok(match answer["status"].as_str() {
        Some("ok") => Search::Found(
            serde_json::from_value(answer["results"].take()).map_err(anyhow::Error::from)?,
        ),
        Some("stale") => Search::Stale,
        Some("missing") => Search::Missing,
        other => return Err(anyhow::anyhow!("catalog_search answered {other:?}").into()),
    })
}

// ---- public brand discovery -------------------------------------------------------------------

#[derive(Debug, FromRow)]
pub struct BrandInfo {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub currency: String,
    pub default_locale: String,
}

/// A brand by slug, before any tenant is known.
pub async fn brand_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<BrandInfo>> {
    Ok(sqlx::query_as(
        "select id, name, name_ar, currency::text as currency, default_locale \
         from auth_tenant_by_slug($1)",
    )
    .bind(slug)
    .fetch_optional(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicBranch {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub address: Option<String>,
    pub address_ar: Option<String>,
    pub time_zone: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    #[schema(value_type = Object)]
    pub opening_hours: serde_json::Value,
}

pub async fn open_branches(tx: &mut Tx) -> Result<Vec<PublicBranch>> {
    Ok(sqlx::query_as(
        "select id, name, name_ar, address, address_ar, time_zone, lat, lng, opening_hours \
         from branches where status = 'open' order by created_at, id",
    )
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn item_id_by_sku(tx: &mut Tx, sku: &str) -> Result<Option<Uuid>> {
    Ok(
        sqlx::query_scalar("select id from items where sku = $1 and archived_at is null")
            .bind(sku)
            .fetch_optional(&mut **tx)
            .await?,
    )
}
