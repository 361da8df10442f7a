//! The menu a branch's guests see (`GET /api/branches/{id}/menu`), as cached in `menu_cache`,
//! and the rules a selection must follow to be ordered from it.
//!
//! Prices here are after the branch's overrides. What is hidden at the branch, archived or
//! inactive is absent; what is 86'd is present with `soldOut` so a guest sees it is off today.

use std::collections::{HashMap, HashSet};

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::daypart::DayPart;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchMenu {
    pub branch_id: Uuid,
    /// The branch's currency (ISO 4217); every price here is in its minor units.
    pub currency: String,
    /// Decimals of the currency: 2 for SAR and AED, 3 for BHD, KWD and OMR.
    pub minor_units: i16,
    pub vat_rate_bp: i32,
    pub vat_inclusive: bool,
    pub time_zone: String,
    pub menus: Vec<MenuSection>,
    /// Referenced by `ItemEntry::modifier_group_ids`.
    pub modifier_groups: Vec<ModifierGroupEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuSection {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub schedule: Vec<DayPart>,
    /// Whether the menu's day-part is on at the branch now (items of a menu that is off are
    /// shown, but cannot be ordered).
    pub available_now: bool,
    pub categories: Vec<CategoryEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryEntry {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub image_url: Option<String>,
    pub items: Vec<ItemEntry>,
    pub combos: Vec<ComboEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemEntry {
    pub id: Uuid,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    /// Minor units, after the branch's override.
    pub price: i64,
    pub image_url: Option<String>,
    /// The image and its smaller copies, narrowest first (for `srcset`; empty without an image).
    #[serde(default)]
    pub image_srcset: Vec<ImageSource>,
    pub calories: Option<i32>,
    pub allergens: Vec<String>,
    pub dietary: Vec<String>,
    pub station: Option<String>,
    pub prep_seconds: Option<i32>,
    pub sold_out: bool,
    pub modifier_group_ids: Vec<Uuid>,
}

/// One width of an image: `url` for that many pixels across (`srcset`'s `w` descriptor).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageSource {
    pub url: String,
    pub width: i32,
    pub height: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifierGroupEntry {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub min_select: i32,
    pub max_select: i32,
    pub required: bool,
    pub options: Vec<ModifierOptionEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifierOptionEntry {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub price_delta: i64,
    pub default: bool,
    /// The item this option is, when it is one (its 86 state applies).
    pub item_id: Option<Uuid>,
    pub sold_out: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComboEntry {
    pub id: Uuid,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub price: i64,
    pub image_url: Option<String>,
    /// The image and its smaller copies, narrowest first (for `srcset`; empty without an image).
    #[serde(default)]
    pub image_srcset: Vec<ImageSource>,
    /// Some slot has no choice left that is not sold out.
    pub sold_out: bool,
    pub slots: Vec<ComboSlotEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComboSlotEntry {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub choices: Vec<ComboChoiceEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComboChoiceEntry {
    pub item_id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    /// Added to the combo price when chosen (a premium burger in a meal).
    pub price_delta: i64,
    pub default: bool,
    pub sold_out: bool,
}

/// The most modifier options one item (or one combo choice) may carry in a request: far above
/// any real menu's groups, low enough that checking a selection stays cheap.
pub const MAX_OPTIONS: usize = 50;

/// The most combo slots a selection may name.
pub const MAX_SLOTS: usize = 10;

/// What a guest picked for one line.
#[derive(Clone, Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    /// Modifier options of the item (or, for a combo, unused: options go with each choice).
    #[serde(default)]
    #[garde(length(max = MAX_OPTIONS))]
    #[schema(max_items = 50)]
    pub options: Vec<Uuid>,
    /// For a combo: one choice per slot.
    #[serde(default)]
    #[garde(length(max = MAX_SLOTS), dive)]
    #[schema(max_items = 10)]
    pub slots: Vec<SlotSelection>,
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotSelection {
    #[garde(skip)]
    pub slot_id: Uuid,
    #[garde(skip)]
    pub item_id: Uuid,
    /// Modifier options of the chosen item.
    #[serde(default)]
    #[garde(length(max = MAX_OPTIONS))]
    #[schema(max_items = 50)]
    pub options: Vec<Uuid>,
}

/// Why a selection cannot be ordered. Each names what is wrong, for a 422 the guest can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("`{0}` is not on this branch's menu")]
    UnknownProduct(Uuid),
    #[error("`{name}` is sold out")]
    SoldOut { name: String },
    #[error("`{name}` is not served now")]
    NotServedNow { name: String },
    #[error("option `{0}` does not belong to this item")]
    ForeignOption(Uuid),
    #[error("option `{0}` was chosen twice")]
    DuplicateOption(Uuid),
    #[error("`{group}` needs at least {min} choice(s)")]
    TooFew { group: String, min: i32 },
    #[error("`{group}` allows at most {max} choice(s)")]
    TooMany { group: String, max: i32 },
    #[error("combo slot `{0}` is missing or chosen twice")]
    SlotCount(String),
    #[error("`{0}` is not a choice of this combo slot")]
    ForeignChoice(Uuid),
}

/// The price of one unit of a valid selection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitPrice {
    /// The item's or combo's own price.
    pub base: i64,
    /// Modifier deltas and combo upcharges.
    pub extras: i64,
    /// `base + extras`, never below zero.
    pub total: i64,
}

enum Product<'a> {
    Item(&'a ItemEntry, bool),
    Combo(&'a ComboEntry, bool),
}

impl BranchMenu {
    /// Every item, with whether its menu is served now.
    pub fn items(&self) -> impl Iterator<Item = (&ItemEntry, bool)> {
        self.menus.iter().flat_map(|m| {
            m.categories
                .iter()
                .flat_map(move |c| c.items.iter().map(move |i| (i, m.available_now)))
        })
    }

    fn combos(&self) -> impl Iterator<Item = (&ComboEntry, bool)> {
        self.menus.iter().flat_map(|m| {
            m.categories
                .iter()
                .flat_map(move |c| c.combos.iter().map(move |i| (i, m.available_now)))
        })
    }

    fn product(&self, id: Uuid) -> Option<Product<'_>> {
        if let Some((item, now)) = self.items().find(|(i, _)| i.id == id) {
            return Some(Product::Item(item, now));
        }
        self.combos()
            .find(|(c, _)| c.id == id)
            .map(|(c, now)| Product::Combo(c, now))
    }

    /// Ids of the items a guest can order now: on a menu that is served now, not sold out.
    pub fn orderable_item_ids(&self) -> Vec<Uuid> {
        self.items()
            .filter(|(i, now)| *now && !i.sold_out)
            .map(|(i, _)| i.id)
            .collect()
    }

    /// Checks `selection` of the item or combo `product_id` against this menu and prices one
    /// unit of it. A selection that passes can be ordered as it is.
    pub fn price(
        &self,
        product_id: Uuid,
        selection: &Selection,
    ) -> Result<UnitPrice, SelectionError> {
        let groups: HashMap<Uuid, &ModifierGroupEntry> =
            self.modifier_groups.iter().map(|g| (g.id, g)).collect();
        match self.product(product_id) {
            None => Err(SelectionError::UnknownProduct(product_id)),
            Some(Product::Item(item, now)) => {
                orderable(&item.name, item.sold_out, now)?;
                let extras = options_total(item, &selection.options, &groups)?;
                Ok(unit(item.price, extras))
            }
            Some(Product::Combo(combo, now)) => {
                orderable(&combo.name, combo.sold_out, now)?;
                let mut extras = 0;
                for slot in &combo.slots {
                    let mut picked = selection.slots.iter().filter(|s| s.slot_id == slot.id);
                    let (Some(pick), None) = (picked.next(), picked.next()) else {
                        return Err(SelectionError::SlotCount(slot.name.clone()));
                    };
                    let choice = slot
                        .choices
                        .iter()
                        .find(|c| c.item_id == pick.item_id)
                        .ok_or(SelectionError::ForeignChoice(pick.item_id))?;
                    if choice.sold_out {
                        return Err(SelectionError::SoldOut {
                            name: choice.name.clone(),
                        });
                    }
                    extras += choice.price_delta;
                    // The chosen item's own modifiers (extra cheese on the meal's burger).
                    if let Some((item, _)) = self.items().find(|(i, _)| i.id == pick.item_id) {
                        extras += options_total(item, &pick.options, &groups)?;
                    } else if let Some(&o) = pick.options.first() {
                        return Err(SelectionError::ForeignOption(o));
                    }
                }
                if let Some(extra) = selection
                    .slots
                    .iter()
                    .find(|s| !combo.slots.iter().any(|slot| slot.id == s.slot_id))
                {
                    return Err(SelectionError::ForeignChoice(extra.slot_id));
                }
                Ok(unit(combo.price, extras))
            }
        }
    }
}

/// A selection as sold: names and deltas next to the ids, for the order line (the menu may
/// change later; the order keeps what the guest saw).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelectionSnapshot {
    pub options: Vec<ChosenOption>,
    pub slots: Vec<ChosenSlot>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChosenOption {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub price_delta: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChosenSlot {
    pub slot_id: Uuid,
    pub slot_name: String,
    pub item_id: Uuid,
    pub item_name: String,
    pub item_name_ar: Option<String>,
    pub price_delta: i64,
    pub options: Vec<ChosenOption>,
}

impl BranchMenu {
    /// Name, Arabic name and kind (`item` or `combo`) of a product on this menu.
    pub fn product_names(&self, id: Uuid) -> Option<(String, Option<String>, &'static str)> {
        match self.product(id)? {
            Product::Item(i, _) => Some((i.name.clone(), i.name_ar.clone(), "item")),
            Product::Combo(c, _) => Some((c.name.clone(), c.name_ar.clone(), "combo")),
        }
    }

    fn chosen_options(&self, ids: &[Uuid]) -> Vec<ChosenOption> {
        ids.iter()
            .filter_map(|id| {
                self.modifier_groups
                    .iter()
                    .flat_map(|g| &g.options)
                    .find(|o| o.id == *id)
            })
            .map(|o| ChosenOption {
                id: o.id,
                name: o.name.clone(),
                name_ar: o.name_ar.clone(),
                price_delta: o.price_delta,
            })
            .collect()
    }

    /// The selection with names and deltas (call after [`Self::price`] accepted it).
    pub fn describe(&self, product_id: Uuid, selection: &Selection) -> SelectionSnapshot {
        let slots = match self.product(product_id) {
            Some(Product::Combo(combo, _)) => selection
                .slots
                .iter()
                .filter_map(|pick| {
                    let slot = combo.slots.iter().find(|s| s.id == pick.slot_id)?;
                    let choice = slot.choices.iter().find(|c| c.item_id == pick.item_id)?;
                    Some(ChosenSlot {
                        slot_id: slot.id,
                        slot_name: slot.name.clone(),
                        item_id: choice.item_id,
                        item_name: choice.name.clone(),
                        item_name_ar: choice.name_ar.clone(),
                        price_delta: choice.price_delta,
                        options: self.chosen_options(&pick.options),
                    })
                })
                .collect(),
            _ => vec![],
        };
        SelectionSnapshot {
            options: self.chosen_options(&selection.options),
            slots,
        }
    }
}

fn orderable(name: &str, sold_out: bool, served_now: bool) -> Result<(), SelectionError> {
    if sold_out {
        return Err(SelectionError::SoldOut { name: name.into() });
    }
    if !served_now {
        return Err(SelectionError::NotServedNow { name: name.into() });
    }
    Ok(())
}

fn unit(base: i64, extras: i64) -> UnitPrice {
    UnitPrice {
        base,
        extras,
        // A big "no cheese" discount must not make a line negative.
        total: (base + extras).max(0),
    }
}

/// Checks the options chosen for `item` group by group and sums their deltas. Linear in the
/// options chosen and the item's own: the chosen ids are looked up in a set.
fn options_total(
    item: &ItemEntry,
    chosen: &[Uuid],
    groups: &HashMap<Uuid, &ModifierGroupEntry>,
) -> Result<i64, SelectionError> {
    let mut wanted = HashSet::with_capacity(chosen.len());
    if let Some(twice) = chosen.iter().find(|id| !wanted.insert(**id)) {
        return Err(SelectionError::DuplicateOption(*twice));
    }
    let mut matched = 0;
    let mut total = 0;
    let mut own = HashSet::new();
    for group in item.modifier_group_ids.iter().filter_map(|g| groups.get(g)) {
        own.extend(group.options.iter().map(|o| o.id));
        let picked: Vec<&ModifierOptionEntry> = group
            .options
            .iter()
            .filter(|o| wanted.contains(&o.id))
            .collect();
        let count = picked.len() as i32;
        if count < group.min_select {
            return Err(SelectionError::TooFew {
                group: group.name.clone(),
                min: group.min_select,
            });
        }
        if count > group.max_select {
            return Err(SelectionError::TooMany {
                group: group.name.clone(),
                max: group.max_select,
            });
        }
        for option in picked {
            if option.sold_out {
                return Err(SelectionError::SoldOut {
                    name: option.name.clone(),
                });
            }
            total += option.price_delta;
        }
        matched += count as usize;
    }
    if matched != chosen.len() {
        let foreign = chosen
            .iter()
            .find(|id| !own.contains(*id))
            .copied()
            .unwrap_or_default();
        return Err(SelectionError::ForeignOption(foreign));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn option(n: u128, delta: i64, sold_out: bool) -> ModifierOptionEntry {
        ModifierOptionEntry {
            id: id(n),
            name: format!("option {n}"),
            name_ar: None,
            price_delta: delta,
            default: false,
            item_id: None,
            sold_out,
        }
    }

    fn item(n: u128, price: i64, groups: &[u128], sold_out: bool) -> ItemEntry {
        ItemEntry {
            id: id(n),
            sku: None,
            name: format!("item {n}"),
            name_ar: None,
            description: None,
            description_ar: None,
            price,
            image_url: None,
            image_srcset: vec![],
            calories: Some(500),
            allergens: vec![],
            dietary: vec![],
            station: None,
            prep_seconds: None,
            sold_out,
            modifier_group_ids: groups.iter().map(|g| id(*g)).collect(),
        }
    }

    fn choice(item: u128, delta: i64, sold_out: bool) -> ComboChoiceEntry {
        ComboChoiceEntry {
            item_id: id(item),
            name: format!("item {item}"),
            name_ar: None,
            price_delta: delta,
            default: false,
            sold_out,
        }
    }

    /// Burger (1, 3200) with size (10: one of 11 +0, 12 +300) and extras (20: up to 2 of
    /// 21 +300, 22 +500, 23 sold out); fries (2, 1000); a cola (3, 600) and juice (4, 900);
    /// a sold-out item (5); a breakfast item (6) whose menu is off; a meal (100, 4200) of
    /// burger + drink (cola, or juice +200).
    fn menu() -> BranchMenu {
        let section =
            |n: u128, now: bool, items: Vec<ItemEntry>, combos: Vec<ComboEntry>| MenuSection {
                id: id(n),
                name: format!("menu {n}"),
                name_ar: None,
                schedule: vec![],
                available_now: now,
                categories: vec![CategoryEntry {
                    id: id(n + 1),
                    name: "category".into(),
                    name_ar: None,
                    description: None,
                    description_ar: None,
                    image_url: None,
                    items,
                    combos,
                }],
            };
        BranchMenu {
            branch_id: id(999),
            currency: "SAR".into(),
            minor_units: 2,
            vat_rate_bp: 1500,
            vat_inclusive: true,
            time_zone: "Asia/Riyadh".into(),
            menus: vec![
                section(
                    500,
                    true,
                    vec![
                        item(1, 3200, &[10, 20], false),
                        item(2, 1000, &[], false),
                        item(3, 600, &[], false),
                        item(4, 900, &[], false),
                        item(5, 900, &[], true),
                    ],
                    vec![ComboEntry {
                        id: id(100),
                        sku: None,
                        name: "meal".into(),
                        name_ar: None,
                        description: None,
                        description_ar: None,
                        price: 4200,
                        image_url: None,
                        image_srcset: vec![],
                        sold_out: false,
                        slots: vec![
                            ComboSlotEntry {
                                id: id(101),
                                name: "burger".into(),
                                name_ar: None,
                                choices: vec![choice(1, 0, false)],
                            },
                            ComboSlotEntry {
                                id: id(102),
                                name: "drink".into(),
                                name_ar: None,
                                choices: vec![
                                    choice(3, 0, false),
                                    choice(4, 200, false),
                                    choice(5, 0, true),
                                ],
                            },
                        ],
                    }],
                ),
                section(600, false, vec![item(6, 1500, &[], false)], vec![]),
            ],
            modifier_groups: vec![
                ModifierGroupEntry {
                    id: id(10),
                    name: "size".into(),
                    name_ar: None,
                    min_select: 1,
                    max_select: 1,
                    required: true,
                    options: vec![option(11, 0, false), option(12, 300, false)],
                },
                ModifierGroupEntry {
                    id: id(20),
                    name: "extras".into(),
                    name_ar: None,
                    min_select: 0,
                    max_select: 2,
                    required: false,
                    options: vec![
                        option(21, 300, false),
                        option(22, 500, false),
                        option(23, 100, true),
                    ],
                },
            ],
        }
    }

    fn options(ids: &[u128]) -> Selection {
        Selection {
            options: ids.iter().map(|n| id(*n)).collect(),
            slots: vec![],
        }
    }

    #[test]
    fn modifiers_add_their_deltas() {
        let p = menu().price(id(1), &options(&[12, 21, 22])).unwrap();
        assert_eq!(
            p,
            UnitPrice {
                base: 3200,
                extras: 1100,
                total: 4300
            }
        );
    }

    #[test]
    fn a_required_group_must_be_chosen() {
        assert_eq!(
            menu().price(id(1), &options(&[21])),
            Err(SelectionError::TooFew {
                group: "size".into(),
                min: 1
            })
        );
    }

    #[test]
    fn a_group_caps_its_choices() {
        assert_eq!(
            menu().price(id(1), &options(&[11, 12])),
            Err(SelectionError::TooMany {
                group: "size".into(),
                max: 1
            })
        );
        assert!(matches!(
            menu().price(id(1), &options(&[11, 21, 22, 23])),
            Err(SelectionError::TooMany { .. })
        ));
    }

    #[test]
    fn options_of_other_items_duplicates_and_sold_out_options_are_refused() {
        assert_eq!(
            menu().price(id(2), &options(&[11])),
            Err(SelectionError::ForeignOption(id(11)))
        );
        assert_eq!(
            menu().price(id(1), &options(&[11, 99])),
            Err(SelectionError::ForeignOption(id(99)))
        );
        assert_eq!(
            menu().price(id(1), &options(&[11, 21, 21])),
            Err(SelectionError::DuplicateOption(id(21)))
        );
        assert!(matches!(
            menu().price(id(1), &options(&[11, 23])),
            Err(SelectionError::SoldOut { .. })
        ));
    }

    #[test]
    fn sold_out_unknown_and_off_menu_products_are_refused() {
        assert!(matches!(
            menu().price(id(5), &options(&[])),
            Err(SelectionError::SoldOut { .. })
        ));
        assert!(matches!(
            menu().price(id(6), &options(&[])),
            Err(SelectionError::NotServedNow { .. })
        ));
        assert_eq!(
            menu().price(id(77), &options(&[])),
            Err(SelectionError::UnknownProduct(id(77)))
        );
    }

    fn meal(drink: u128, burger_options: &[u128]) -> Selection {
        Selection {
            options: vec![],
            slots: vec![
                SlotSelection {
                    slot_id: id(101),
                    item_id: id(1),
                    options: burger_options.iter().map(|n| id(*n)).collect(),
                },
                SlotSelection {
                    slot_id: id(102),
                    item_id: id(drink),
                    options: vec![],
                },
            ],
        }
    }

    #[test]
    fn a_combo_costs_its_price_plus_upcharges_and_the_choices_modifiers() {
        let m = menu();
        assert_eq!(m.price(id(100), &meal(3, &[11])).unwrap().total, 4200);
        assert_eq!(m.price(id(100), &meal(4, &[11])).unwrap().total, 4400);
        // Large (+300) and extra cheese (+300) on the meal's burger.
        assert_eq!(m.price(id(100), &meal(4, &[12, 21])).unwrap().total, 5000);
        // The burger's required size applies inside the meal too.
        assert!(matches!(
            m.price(id(100), &meal(3, &[])),
            Err(SelectionError::TooFew { .. })
        ));
    }

    #[test]
    fn a_combo_needs_one_valid_choice_per_slot() {
        let m = menu();
        let mut missing = meal(3, &[11]);
        missing.slots.pop();
        assert_eq!(
            m.price(id(100), &missing),
            Err(SelectionError::SlotCount("drink".into()))
        );
        assert_eq!(
            m.price(id(100), &meal(2, &[11])),
            Err(SelectionError::ForeignChoice(id(2)))
        );
        assert!(matches!(
            m.price(id(100), &meal(5, &[11])),
            Err(SelectionError::SoldOut { .. })
        ));
        let mut twice = meal(3, &[11]);
        twice.slots.push(twice.slots[1].clone());
        assert!(matches!(
            m.price(id(100), &twice),
            Err(SelectionError::SlotCount(_))
        ));
    }

    #[test]
    fn orderable_items_exclude_sold_out_and_off_menus() {
        let ids = menu().orderable_item_ids();
        assert_eq!(ids, vec![id(1), id(2), id(3), id(4)]);
    }
}
