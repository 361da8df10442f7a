//! What the admin API takes: one input per catalog entity, validated before any SQL runs. The
//! database checks the rest (references into the same brand, unique SKUs).

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::daypart::DayPart;

pub const MAX_PRICE: i64 = 100_000_000;

/// An item's allergen and dietary labels: at most this many, each 1 to `MAX_LABEL_CHARS`.
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 40;

/// The schema of a list of labels, with the limits garde checks.
fn labels() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_LABEL_CHARS)),
        )
        .max_items(Some(MAX_LABELS))
        .build()
}

fn check_schedule(schedule: &[DayPart], _: &()) -> garde::Result {
    if schedule.len() > 28 {
        return Err(garde::Error::new("at most 28 spans"));
    }
    schedule
        .iter()
        .try_for_each(|p| p.check().map_err(garde::Error::new))
}

fn check_image(image: &Option<String>, _: &()) -> garde::Result {
    match image {
        Some(s) if !crate::media::is_sha256(s) => Err(garde::Error::new(
            "must be the sha256 of an uploaded image (64 lower-case hex digits)",
        )),
        _ => Ok(()),
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MenuInput {
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    /// Empty: served all day.
    #[serde(default)]
    #[garde(custom(|s: &Vec<DayPart>, c: &()| check_schedule(s, c)))]
    pub schedule: Vec<DayPart>,
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryInput {
    #[garde(skip)]
    pub menu_id: Uuid,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description_ar: Option<String>,
    /// The sha256 of an uploaded image.
    #[garde(custom(check_image))]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub image: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemInput {
    #[garde(skip)]
    pub category_id: Uuid,
    #[garde(inner(length(chars, min = 1, max = 64)))]
    #[schema(min_length = 1, max_length = 64)]
    pub sku: Option<String>,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description_ar: Option<String>,
    /// Minor units of the brand's currency.
    #[garde(range(min = 0, max = MAX_PRICE))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price: i64,
    #[garde(custom(check_image))]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub image: Option<String>,
    /// kcal; menus in Saudi Arabia must show them.
    #[garde(inner(range(min = 0, max = 20_000)))]
    #[schema(minimum = 0, maximum = 20000)]
    pub calories: Option<i32>,
    #[serde(default)]
    #[garde(length(max = MAX_LABELS), inner(length(chars, min = 1, max = MAX_LABEL_CHARS)))]
    #[schema(schema_with = labels)]
    pub allergens: Vec<String>,
    #[serde(default)]
    #[garde(length(max = MAX_LABELS), inner(length(chars, min = 1, max = MAX_LABEL_CHARS)))]
    #[schema(schema_with = labels)]
    pub dietary: Vec<String>,
    /// Preparation station hint (grill, fryer, bar…).
    #[garde(inner(length(chars, min = 1, max = 50)))]
    #[schema(min_length = 1, max_length = 50)]
    pub station: Option<String>,
    /// Target preparation time.
    #[garde(inner(range(min = 0, max = 86_400)))]
    #[schema(minimum = 0, maximum = 86400)]
    pub prep_seconds: Option<i32>,
    #[serde(default = "yes")]
    #[garde(skip)]
    pub active: bool,
    /// Modifier groups, in the order the guest sees them.
    #[serde(default)]
    #[garde(length(max = 20))]
    #[schema(max_items = 20)]
    pub modifier_group_ids: Vec<Uuid>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModifierGroupInput {
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    #[garde(range(min = 0, max = 50))]
    #[schema(minimum = 0, maximum = 50)]
    pub min_select: i32,
    #[garde(range(min = 1, max = 50))]
    #[schema(minimum = 1, maximum = 50)]
    pub max_select: i32,
    #[garde(length(min = 1, max = 50), dive)]
    #[schema(min_items = 1, max_items = 50)]
    pub options: Vec<ModifierOptionInput>,
}

impl ModifierGroupInput {
    /// Rules across fields: a group must be satisfiable, and its defaults a valid choice.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.min_select > self.max_select {
            return Err(("minSelect", "must not exceed maxSelect".into()));
        }
        if self.min_select as usize > self.options.len() {
            return Err(("minSelect", "exceeds the number of options".into()));
        }
        let defaults = self.options.iter().filter(|o| o.default).count();
        if defaults > self.max_select as usize {
            return Err(("options", "more defaults than maxSelect allows".into()));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModifierOptionInput {
    /// An existing option's id keeps it (orders refer to it); without one a new option is made.
    #[garde(skip)]
    pub id: Option<Uuid>,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    #[serde(default)]
    #[garde(range(min = -MAX_PRICE, max = MAX_PRICE))]
    #[schema(minimum = -100000000, maximum = 100000000)]
    pub price_delta: i64,
    #[serde(default)]
    #[garde(skip)]
    pub default: bool,
    /// The item this option is (an extra patty), for stock and 86.
    #[garde(skip)]
    pub item_id: Option<Uuid>,
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComboInput {
    #[garde(skip)]
    pub category_id: Uuid,
    #[garde(inner(length(chars, min = 1, max = 64)))]
    #[schema(min_length = 1, max_length = 64)]
    pub sku: Option<String>,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[garde(inner(length(chars, max = 2000)))]
    #[schema(max_length = 2000)]
    pub description_ar: Option<String>,
    #[garde(range(min = 0, max = MAX_PRICE))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price: i64,
    #[garde(custom(check_image))]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub image: Option<String>,
    #[serde(default = "yes")]
    #[garde(skip)]
    pub active: bool,
    #[garde(length(min = 1, max = 10), dive)]
    #[schema(min_items = 1, max_items = 10)]
    pub slots: Vec<ComboSlotInput>,
}

impl ComboInput {
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.choices.iter().filter(|c| c.default).count() > 1 {
                return Err(("slots", format!("slot {i} has more than one default")));
            }
            for (j, c) in slot.choices.iter().enumerate() {
                if slot.choices[..j].iter().any(|d| d.item_id == c.item_id) {
                    return Err(("slots", format!("slot {i} lists an item twice")));
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComboSlotInput {
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    /// One choice: a fixed item. Several: the guest picks one.
    #[garde(length(min = 1, max = 50), dive)]
    #[schema(min_items = 1, max_items = 50)]
    pub choices: Vec<ComboChoiceInput>,
}

#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComboChoiceInput {
    #[garde(skip)]
    pub item_id: Uuid,
    #[serde(default)]
    #[garde(range(min = 0, max = MAX_PRICE))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price_delta: i64,
    #[serde(default)]
    #[garde(skip)]
    pub default: bool,
}

/// New order of the brand's menus, a menu's categories, a category's items or combos.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reorder {
    #[garde(skip)]
    pub kind: ReorderKind,
    #[garde(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<Uuid>,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ReorderKind {
    Menus,
    Categories,
    Items,
    Combos,
}

/// A price change over many items: `percentBp` (basis points, -5000 = 50 % off… +1000 = 10 %
/// more) or `amount` (minor units added, may be negative), rounded to `roundTo` minor units.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkPrice {
    /// The items to change; or every item of `categoryId`; or, with neither, every item.
    #[serde(default)]
    #[garde(length(max = 5000))]
    #[schema(max_items = 5000)]
    pub item_ids: Vec<Uuid>,
    #[garde(skip)]
    pub category_id: Option<Uuid>,
    #[garde(inner(range(min = -9_900, max = 100_000)))]
    #[schema(minimum = -9900, maximum = 100000)]
    pub percent_bp: Option<i32>,
    #[garde(inner(range(min = -MAX_PRICE, max = MAX_PRICE)))]
    #[schema(minimum = -100000000, maximum = 100000000)]
    pub amount: Option<i64>,
    #[serde(default = "one")]
    #[garde(range(min = 1, max = 10_000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub round_to: i64,
}

fn one() -> i64 {
    1
}

/// A branch's own settings for an item.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemOverrideInput {
    /// The branch's price; `null` uses the brand's.
    #[garde(inner(range(min = 0, max = MAX_PRICE)))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub price: Option<i64>,
    /// Hidden items are not on this branch's menu at all.
    #[serde(default)]
    #[garde(skip)]
    pub hidden: bool,
}

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryOverrideInput {
    #[garde(skip)]
    pub hidden: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    pub id: Uuid,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Changed {
    pub changed: u64,
}

/// A branch's item settings as stored.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ItemOverride {
    pub branch_id: Uuid,
    pub item_id: Uuid,
    pub price: Option<i64>,
    pub hidden: bool,
    pub sold_out_at: Option<chrono::DateTime<chrono::Utc>>,
    pub sold_out_by: Option<Uuid>,
}
