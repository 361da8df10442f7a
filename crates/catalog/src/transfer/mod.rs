//! Moving a whole menu in and out of a brand: a JSON document (`sous.menu/1`) with everything
//! — menus, categories, items, modifier groups, combos and their images — and a CSV of items
//! for spreadsheet edits. Records refer to each other by `key` inside the document; an export
//! uses the record ids as keys, an import gives every record a fresh id.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use garde::Validate;
use platform::{
    db::Tx,
    error::{Error, Result},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    daypart::DayPart,
    media,
    model::{
        CategoryInput, ComboChoiceInput, ComboInput, ComboSlotInput, ItemInput, MenuInput,
        ModifierGroupInput, ModifierOptionInput,
    },
    repo,
};

mod items_csv;

pub use items_csv::{CsvImported, CsvItem, export_csv, import_csv};

pub const FORMAT: &str = "sous.menu/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MenuDocument {
    /// Always `sous.menu/1`.
    pub format: String,
    #[serde(default)]
    pub media: Vec<MediaDoc>,
    pub menus: Vec<MenuDoc>,
    #[serde(default)]
    pub modifier_groups: Vec<GroupDoc>,
    pub categories: Vec<CategoryDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MediaDoc {
    pub sha256: String,
    pub content_type: String,
    /// The image bytes, base64.
    pub data: String,
    /// The image this one is a smaller copy of (its sha256, listed before it), for `srcset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_of: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MenuDoc {
    pub key: String,
    pub name: String,
    pub name_ar: Option<String>,
    #[serde(default)]
    pub schedule: Vec<DayPart>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupDoc {
    pub key: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub min_select: i32,
    pub max_select: i32,
    pub options: Vec<OptionDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionDoc {
    pub key: String,
    pub name: String,
    pub name_ar: Option<String>,
    #[serde(default)]
    pub price_delta: i64,
    #[serde(default)]
    pub default: bool,
    /// Key of the item this option is.
    #[serde(default)]
    pub item: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryDoc {
    pub key: String,
    /// Key of its menu.
    pub menu: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub image: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemDoc>,
    #[serde(default)]
    pub combos: Vec<ComboDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemDoc {
    pub key: String,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub price: i64,
    pub image: Option<String>,
    pub calories: Option<i32>,
    #[serde(default)]
    pub allergens: Vec<String>,
    #[serde(default)]
    pub dietary: Vec<String>,
    pub station: Option<String>,
    pub prep_seconds: Option<i32>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Keys of its modifier groups, in order.
    #[serde(default)]
    pub modifier_groups: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComboDoc {
    pub key: String,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub price: i64,
    pub image: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    pub slots: Vec<SlotDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotDoc {
    pub name: String,
    pub name_ar: Option<String>,
    pub choices: Vec<ChoiceDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChoiceDoc {
    /// Key of the item.
    pub item: String,
    #[serde(default)]
    pub price_delta: i64,
    #[serde(default)]
    pub default: bool,
}

/// The brand's live catalog as a document (inactive items included, archived ones not).
pub async fn export(tx: &mut Tx) -> Result<MenuDocument> {
    let media = repo::all_media(tx)
        .await?
        .into_iter()
        .map(|(sha256, content_type, bytes, variant_of)| MediaDoc {
            sha256,
            content_type,
            data: BASE64.encode(bytes),
            variant_of,
        })
        .collect();
    let mut options: HashMap<Uuid, Vec<OptionDoc>> = HashMap::new();
    for o in repo::options(tx, None).await? {
        options.entry(o.group_id).or_default().push(OptionDoc {
            key: o.id.to_string(),
            name: o.name,
            name_ar: o.name_ar,
            price_delta: o.price_delta,
            default: o.is_default,
            item: o.item_id.map(|i| i.to_string()),
        });
    }
    let modifier_groups = repo::groups(tx)
        .await?
        .into_iter()
        .map(|g| GroupDoc {
            key: g.id.to_string(),
            name: g.name,
            name_ar: g.name_ar,
            min_select: g.min_select,
            max_select: g.max_select,
            options: options.remove(&g.id).unwrap_or_default(),
        })
        .collect();
    let mut slots: HashMap<Uuid, Vec<SlotDoc>> = HashMap::new();
    let mut last_slot = None;
    for c in repo::choices(tx, None).await? {
        let combo_slots = slots.entry(c.combo_id).or_default();
        if last_slot != Some(c.slot_id) {
            combo_slots.push(SlotDoc {
                name: c.slot_name,
                name_ar: c.slot_name_ar,
                choices: vec![],
            });
            last_slot = Some(c.slot_id);
        }
        combo_slots
            .last_mut()
            .expect("pushed above")
            .choices
            .push(ChoiceDoc {
                item: c.item_id.to_string(),
                price_delta: c.price_delta,
                default: c.is_default,
            });
    }
    let mut combos: HashMap<Uuid, Vec<ComboDoc>> = HashMap::new();
    for c in repo::combos(tx).await? {
        combos.entry(c.category_id).or_default().push(ComboDoc {
            key: c.id.to_string(),
            sku: c.sku,
            name: c.name,
            name_ar: c.name_ar,
            description: c.description,
            description_ar: c.description_ar,
            price: c.price,
            image: c.image,
            active: c.active,
            slots: slots.remove(&c.id).unwrap_or_default(),
        });
    }
    let mut items: HashMap<Uuid, Vec<ItemDoc>> = HashMap::new();
    for i in repo::items(tx, None).await? {
        items.entry(i.category_id).or_default().push(ItemDoc {
            key: i.id.to_string(),
            sku: i.sku,
            name: i.name,
            name_ar: i.name_ar,
            description: i.description,
            description_ar: i.description_ar,
            price: i.price,
            image: i.image,
            calories: i.calories,
            allergens: i.allergens,
            dietary: i.dietary,
            station: i.station,
            prep_seconds: i.prep_seconds,
            active: i.active,
            modifier_groups: i.group_ids.iter().map(Uuid::to_string).collect(),
        });
    }
    let menus = repo::menus(tx).await?;
    let mut categories = Vec::new();
    // Categories in menu order, then their own.
    let all = repo::categories(tx, None).await?;
    for m in &menus {
        for c in all.iter().filter(|c| c.menu_id == m.id) {
            categories.push(CategoryDoc {
                key: c.id.to_string(),
                menu: c.menu_id.to_string(),
                name: c.name.clone(),
                name_ar: c.name_ar.clone(),
                description: c.description.clone(),
                description_ar: c.description_ar.clone(),
                image: c.image.clone(),
                items: items.remove(&c.id).unwrap_or_default(),
                combos: combos.remove(&c.id).unwrap_or_default(),
            });
        }
    }
    Ok(MenuDocument {
        format: FORMAT.into(),
        media,
        menus: menus
            .into_iter()
            .map(|m| MenuDoc {
                key: m.id.to_string(),
                name: m.name,
                name_ar: m.name_ar,
                schedule: m.schedule.0,
            })
            .collect(),
        modifier_groups,
        categories,
    })
}

/// Keys of one kind, each given a fresh id; a duplicate or unknown key is a 422 naming where.
#[derive(Default)]
struct Keys(HashMap<String, Uuid>);

impl Keys {
    fn add(&mut self, key: &str, at: &str) -> Result<Uuid> {
        let id = Uuid::now_v7();
        if self.0.insert(key.to_string(), id).is_some() {
            return Err(Error::invalid(at, format!("key `{key}` is used twice")));
        }
        Ok(id)
    }

    fn get(&self, key: &str, at: &str) -> Result<Uuid> {
        self.0
            .get(key)
            .copied()
            .ok_or_else(|| Error::invalid(at, format!("no record has key `{key}`")))
    }
}

/// Validates an input as the admin API would, naming where in the document it failed.
pub(crate) fn valid<T: Validate<Context = ()>>(input: &T, at: &str) -> Result<()> {
    input.validate().map_err(|report| {
        let fields = report
            .iter()
            .map(|(path, e)| (format!("{at}.{path}"), vec![e.message().to_string()]))
            .fold(
                std::collections::BTreeMap::<String, Vec<String>>::new(),
                |mut m, (k, v)| {
                    m.entry(k).or_default().extend(v);
                    m
                },
            );
        Error::Validation { fields }
    })
}

/// What an import made.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    pub menus: usize,
    pub categories: usize,
    pub items: usize,
    pub modifier_groups: usize,
    pub combos: usize,
    pub media: usize,
}

/// Writes `doc` into the brand as new records, all or nothing (the caller's transaction).
pub async fn import(tx: &mut Tx, tenant_id: Uuid, doc: &MenuDocument) -> Result<Imported> {
    if doc.format != FORMAT {
        return Err(Error::invalid("format", format!("must be `{FORMAT}`")));
    }
    let mut done = Imported::default();
    for (n, m) in doc.media.iter().enumerate() {
        let at = format!("media[{n}]");
        let bytes = BASE64
            .decode(&m.data)
            .map_err(|_| Error::invalid(&format!("{at}.data"), "is not base64"))?;
        let image = media::inspect(Some(&m.content_type), &bytes)?;
        if image.sha256 != m.sha256 {
            return Err(Error::invalid(
                &format!("{at}.sha256"),
                "does not match the data",
            ));
        }
        if let Some(of) = &m.variant_of
            && !doc.media[..n].iter().any(|earlier| &earlier.sha256 == of)
        {
            return Err(Error::invalid(
                &format!("{at}.variantOf"),
                "must name an image listed before it",
            ));
        }
        repo::insert_media(tx, tenant_id, &image, &bytes, m.variant_of.as_deref()).await?;
        done.media += 1;
    }
    let mut menus = Keys::default();
    for (n, m) in doc.menus.iter().enumerate() {
        let at = format!("menus[{n}]");
        let input = MenuInput {
            name: m.name.clone(),
            name_ar: m.name_ar.clone(),
            schedule: m.schedule.clone(),
        };
        valid(&input, &at)?;
        let id = menus.add(&m.key, &format!("{at}.key"))?;
        repo::insert_menu(tx, tenant_id, id, &input).await?;
        done.menus += 1;
    }
    // Items first (without their groups): options and combo choices refer to them.
    let mut categories = Keys::default();
    let mut items = Keys::default();
    for (n, c) in doc.categories.iter().enumerate() {
        let at = format!("categories[{n}]");
        let input = CategoryInput {
            menu_id: menus.get(&c.menu, &format!("{at}.menu"))?,
            name: c.name.clone(),
            name_ar: c.name_ar.clone(),
            description: c.description.clone(),
            description_ar: c.description_ar.clone(),
            image: c.image.clone(),
        };
        valid(&input, &at)?;
        let category_id = categories.add(&c.key, &format!("{at}.key"))?;
        repo::insert_category(tx, tenant_id, category_id, &input).await?;
        done.categories += 1;
        for (k, i) in c.items.iter().enumerate() {
            let at = format!("{at}.items[{k}]");
            let input = item_input(category_id, i, vec![]);
            valid(&input, &at)?;
            let id = items.add(&i.key, &format!("{at}.key"))?;
            repo::insert_item(tx, tenant_id, id, &input).await?;
            done.items += 1;
        }
    }
    let mut groups = Keys::default();
    for (n, g) in doc.modifier_groups.iter().enumerate() {
        let at = format!("modifierGroups[{n}]");
        let options = g
            .options
            .iter()
            .enumerate()
            .map(|(k, o)| {
                Ok(ModifierOptionInput {
                    id: None,
                    name: o.name.clone(),
                    name_ar: o.name_ar.clone(),
                    price_delta: o.price_delta,
                    default: o.default,
                    item_id: o
                        .item
                        .as_deref()
                        .map(|key| items.get(key, &format!("{at}.options[{k}].item")))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let input = ModifierGroupInput {
            name: g.name.clone(),
            name_ar: g.name_ar.clone(),
            min_select: g.min_select,
            max_select: g.max_select,
            options,
        };
        valid(&input, &at)?;
        input
            .check()
            .map_err(|(field, message)| Error::invalid(&format!("{at}.{field}"), message))?;
        let id = groups.add(&g.key, &format!("{at}.key"))?;
        repo::insert_group(tx, tenant_id, id, &input).await?;
        done.modifier_groups += 1;
    }
    for (n, c) in doc.categories.iter().enumerate() {
        let category_id = categories.get(&c.key, "categories")?;
        for (k, i) in c.items.iter().enumerate() {
            let at = format!("categories[{n}].items[{k}]");
            let group_ids = i
                .modifier_groups
                .iter()
                .map(|key| groups.get(key, &format!("{at}.modifierGroups")))
                .collect::<Result<Vec<_>>>()?;
            if !group_ids.is_empty() {
                let id = items.get(&i.key, &at)?;
                repo::update_item(tx, tenant_id, id, &item_input(category_id, i, group_ids))
                    .await?;
            }
        }
        for (k, combo) in c.combos.iter().enumerate() {
            let at = format!("categories[{n}].combos[{k}]");
            let slots = combo
                .slots
                .iter()
                .enumerate()
                .map(|(s, slot)| {
                    Ok(ComboSlotInput {
                        name: slot.name.clone(),
                        name_ar: slot.name_ar.clone(),
                        choices: slot
                            .choices
                            .iter()
                            .map(|ch| {
                                Ok(ComboChoiceInput {
                                    item_id: items
                                        .get(&ch.item, &format!("{at}.slots[{s}].choices"))?,
                                    price_delta: ch.price_delta,
                                    default: ch.default,
                                })
                            })
                            .collect::<Result<Vec<_>>>()?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let input = ComboInput {
                category_id,
                sku: combo.sku.clone(),
                name: combo.name.clone(),
                name_ar: combo.name_ar.clone(),
                description: combo.description.clone(),
                description_ar: combo.description_ar.clone(),
                price: combo.price,
                image: combo.image.clone(),
                active: combo.active,
                slots,
            };
            valid(&input, &at)?;
            input
                .check()
                .map_err(|(field, message)| Error::invalid(&format!("{at}.{field}"), message))?;
            repo::insert_combo(tx, tenant_id, Uuid::now_v7(), &input).await?;
            done.combos += 1;
        }
    }
    Ok(done)
}

fn item_input(category_id: Uuid, i: &ItemDoc, modifier_group_ids: Vec<Uuid>) -> ItemInput {
    ItemInput {
        category_id,
        sku: i.sku.clone(),
        name: i.name.clone(),
        name_ar: i.name_ar.clone(),
        description: i.description.clone(),
        description_ar: i.description_ar.clone(),
        price: i.price,
        image: i.image.clone(),
        calories: i.calories,
        allergens: i.allergens.clone(),
        dietary: i.dietary.clone(),
        station: i.station.clone(),
        prep_seconds: i.prep_seconds,
        active: i.active,
        modifier_group_ids,
    }
}
