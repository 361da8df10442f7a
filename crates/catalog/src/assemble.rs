//! Builds a branch's menu document from the catalog rows: branch prices and visibility applied,
//! day-parts evaluated at one instant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use platform::{db::Tx, error::Result};
use uuid::Uuid;

use crate::{
    daypart, media,
    menu::{
        BranchMenu, CategoryEntry, ComboChoiceEntry, ComboEntry, ComboSlotEntry, ImageSource,
        ItemEntry, MenuSection, ModifierGroupEntry, ModifierOptionEntry,
    },
    repo,
};

/// Each image with its smaller copies, narrowest first: the sizes `srcset` offers.
fn srcsets(sizes: Vec<repo::MediaSize>) -> HashMap<String, Vec<ImageSource>> {
    let mut out: HashMap<String, Vec<ImageSource>> = HashMap::new();
    for m in sizes {
        let of = m.variant_of.clone().unwrap_or_else(|| m.sha256.clone());
        out.entry(of).or_default().push(ImageSource {
            url: media::url(&m.sha256),
            width: m.width,
            height: m.height,
        });
    }
    for v in out.values_mut() {
        v.sort_by_key(|s| s.width);
    }
    out
}

/// A built menu and until when it stays true by itself.
pub struct Built {
    pub menu: BranchMenu,
    /// The next day-part boundary (or far ahead when no menu has a schedule).
    pub valid_until: DateTime<Utc>,
}

/// Reads the catalog as the branch sees it at `at`, in the caller's transaction.
pub async fn branch_menu(tx: &mut Tx, branch_id: Uuid, at: DateTime<Utc>) -> Result<Built> {
    let tz_name = repo::branch_time_zone(tx, branch_id).await?;
    let tz: Tz = tz_name.parse().unwrap_or(chrono_tz::UTC);
    // The branch's own currency and VAT: a Dubai branch prices in AED at 5 %.
    let country = platform::country::of_branch(tx, branch_id).await?;
    let branch = Some(branch_id);
    let menus = repo::menus(tx).await?;
    let categories = repo::categories(tx, branch).await?;
    let items = repo::items(tx, branch).await?;
    let groups = repo::groups(tx).await?;
    let options = repo::options(tx, branch).await?;
    let combos = repo::combos(tx).await?;
    let choices = repo::choices(tx, branch).await?;
    let srcsets = srcsets(repo::media_sizes(tx).await?);
    let srcset = |image: &Option<String>| {
        image
            .as_ref()
            .and_then(|i| srcsets.get(i))
            .cloned()
            .unwrap_or_default()
    };

    let mut options_by_group: HashMap<Uuid, Vec<ModifierOptionEntry>> = HashMap::new();
    for o in options {
        options_by_group
            .entry(o.group_id)
            .or_default()
            .push(ModifierOptionEntry {
                id: o.id,
                name: o.name,
                name_ar: o.name_ar,
                price_delta: o.price_delta,
                default: o.is_default,
                item_id: o.item_id,
                sold_out: o.sold_out,
            });
    }
    let modifier_groups = groups
        .into_iter()
        .map(|g| ModifierGroupEntry {
            id: g.id,
            name: g.name,
            name_ar: g.name_ar,
            min_select: g.min_select,
            max_select: g.max_select,
            required: g.min_select > 0,
            options: options_by_group.remove(&g.id).unwrap_or_default(),
        })
        .collect();

    let mut slots_by_combo: HashMap<Uuid, Vec<ComboSlotEntry>> = HashMap::new();
    for c in choices {
        let slots = slots_by_combo.entry(c.combo_id).or_default();
        if slots.last().is_none_or(|s| s.id != c.slot_id) {
            slots.push(ComboSlotEntry {
                id: c.slot_id,
                name: c.slot_name,
                name_ar: c.slot_name_ar,
                choices: vec![],
            });
        }
        let slot = slots.last_mut().expect("pushed above");
        slot.choices.push(ComboChoiceEntry {
            item_id: c.item_id,
            name: c.item_name,
            name_ar: c.item_name_ar,
            price_delta: c.price_delta,
            default: c.is_default,
            sold_out: c.sold_out,
        });
    }
    let mut combos_by_category: HashMap<Uuid, Vec<ComboEntry>> = HashMap::new();
    for c in combos.into_iter().filter(|c| c.active) {
        let slots = slots_by_combo.remove(&c.id).unwrap_or_default();
        let sold_out = slots
            .iter()
            .any(|s| s.choices.iter().all(|choice| choice.sold_out));
        combos_by_category
            .entry(c.category_id)
            .or_default()
            .push(ComboEntry {
                id: c.id,
                sku: c.sku,
                name: c.name,
                name_ar: c.name_ar,
                description: c.description,
                description_ar: c.description_ar,
                price: c.price,
                image_srcset: srcset(&c.image),
                image_url: c.image.as_deref().map(media::url),
                sold_out,
                slots,
            });
    }

    let mut items_by_category: HashMap<Uuid, Vec<ItemEntry>> = HashMap::new();
    for i in items.into_iter().filter(|i| i.active && !i.hidden) {
        items_by_category
            .entry(i.category_id)
            .or_default()
            .push(ItemEntry {
                id: i.id,
                sku: i.sku,
                name: i.name,
                name_ar: i.name_ar,
                description: i.description,
                description_ar: i.description_ar,
                price: i.branch_price.unwrap_or(i.price),
                image_srcset: srcset(&i.image),
                image_url: i.image.as_deref().map(media::url),
                calories: i.calories,
                allergens: i.allergens,
                dietary: i.dietary,
                station: i.station,
                prep_seconds: i.prep_seconds,
                sold_out: i.sold_out,
                modifier_group_ids: i.group_ids,
            });
    }

    let mut categories_by_menu: HashMap<Uuid, Vec<CategoryEntry>> = HashMap::new();
    for c in categories.into_iter().filter(|c| !c.hidden) {
        let items = items_by_category.remove(&c.id).unwrap_or_default();
        let combos = combos_by_category.remove(&c.id).unwrap_or_default();
        if items.is_empty() && combos.is_empty() {
            continue;
        }
        categories_by_menu
            .entry(c.menu_id)
            .or_default()
            .push(CategoryEntry {
                id: c.id,
                name: c.name,
                name_ar: c.name_ar,
                description: c.description,
                description_ar: c.description_ar,
                image_url: c.image.as_deref().map(media::url),
                items,
                combos,
            });
    }

    let valid_until = daypart::next_change(menus.iter().map(|m| &m.schedule.0[..]), tz, at)
        .unwrap_or(at + chrono::Duration::days(1));
    let sections = menus
        .into_iter()
        .filter_map(|m| {
            let categories = categories_by_menu.remove(&m.id)?;
            Some(MenuSection {
                id: m.id,
                available_now: daypart::is_on(&m.schedule.0, tz, at),
                name: m.name,
                name_ar: m.name_ar,
                schedule: m.schedule.0,
                categories,
            })
        })
        .collect();

    Ok(Built {
        menu: BranchMenu {
            branch_id,
            currency: country.currency,
            minor_units: country.minor_units,
            vat_rate_bp: country.vat_rate_bp,
            vat_inclusive: country.vat_inclusive,
            time_zone: tz_name,
            menus: sections,
            modifier_groups,
        },
        valid_until,
    })
}
