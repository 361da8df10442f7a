//! A CSV of the brand's items, for spreadsheet edits: one item per row, exported and imported
//! with the same columns.

use platform::{
    db::Tx,
    error::{Error, Result},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::valid;
use crate::{model::ItemInput, repo};

/// One item per row. Lists (allergens, dietary) are separated by `|`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CsvItem {
    pub id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub sku: Option<String>,
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
    pub description_ar: Option<String>,
    pub price: i64,
    pub calories: Option<i32>,
    pub allergens: String,
    pub dietary: String,
    pub station: Option<String>,
    pub prep_seconds: Option<i32>,
    pub active: bool,
}

/// The columns every row needs (the others may be left out).
const REQUIRED_COLUMNS: [&str; 5] = ["name", "price", "allergens", "dietary", "active"];

impl CsvItem {
    /// The text cells with the export's formula guard taken off.
    fn uncelled(self) -> Self {
        Self {
            sku: self.sku.map(uncell),
            name: uncell(self.name),
            name_ar: self.name_ar.map(uncell),
            description: self.description.map(uncell),
            description_ar: self.description_ar.map(uncell),
            allergens: uncell(self.allergens),
            dietary: uncell(self.dietary),
            station: self.station.map(uncell),
            ..self
        }
    }
}

fn join(list: &[String]) -> String {
    list.join("|")
}

/// What a spreadsheet reads as the start of a formula (or of a cell it may run as one).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as exported: one that a spreadsheet would take for a formula (an item named
/// `=HYPERLINK(…)`) gets a leading `'`, which spreadsheets show as text and do not run.
fn cell(text: String) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text
    }
}

/// A text cell as imported: the `'` that [`cell`] put before a formula-like text is taken off,
/// so an exported file imports back unchanged.
fn uncell(text: String) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => text,
    }
}

fn split(s: &str) -> Vec<String> {
    s.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

pub async fn export_csv(tx: &mut Tx) -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for i in repo::items(tx, None).await? {
        out.serialize(CsvItem {
            id: Some(i.id),
            category_id: Some(i.category_id),
            sku: i.sku.map(cell),
            name: cell(i.name),
            name_ar: i.name_ar.map(cell),
            description: i.description.map(cell),
            description_ar: i.description_ar.map(cell),
            price: i.price,
            calories: i.calories,
            allergens: cell(join(&i.allergens)),
            dietary: cell(join(&i.dietary)),
            station: i.station.map(cell),
            prep_seconds: i.prep_seconds,
            active: i.active,
        })
        .map_err(anyhow::Error::from)?;
    }
    let bytes = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CsvImported {
    pub created: usize,
    pub updated: usize,
    /// Ids of the items the rows created or updated, in row order.
    pub ids: Vec<Uuid>,
}

/// Upserts items from CSV: a row whose `id` or `sku` names a live item updates it (its modifier
/// groups stay), any other row creates an item in `category_id`. All rows or none.
pub async fn import_csv(tx: &mut Tx, tenant_id: Uuid, text: &str) -> Result<CsvImported> {
    let existing = repo::items(tx, None).await?;
    let mut done = CsvImported::default();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| Error::invalid("row 1", e.to_string()))?
        .clone();
    if header.iter().any(platform::text::has_forbidden) {
        return Err(platform::text::refused("row 1"));
    }
    // Without its header row a file is not this CSV (its first row would be taken for one,
    // and a one-line file would import nothing and succeed).
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .into_iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            "row 1",
            format!(
                "must be the header row; it lacks the column(s) {}",
                missing.join(", ")
            ),
        ));
    }
    for (n, record) in reader.records().enumerate() {
        let at = format!("row {}", n + 2);
        let record = record.map_err(|e| Error::invalid(&at, e.to_string()))?;
        // The rule every text input follows (see `platform::text`), named by row and column.
        if let Some(i) = record.iter().position(platform::text::has_forbidden) {
            let column = header.get(i).unwrap_or("");
            return Err(platform::text::refused(&format!("{at}.{column}")));
        }
        let row = record
            .deserialize::<CsvItem>(Some(&header))
            .map_err(|e| Error::invalid(&at, e.to_string()))?
            .uncelled();
        let current = existing
            .iter()
            .find(|i| row.id == Some(i.id) || (row.sku.is_some() && row.sku == i.sku));
        let category_id = row
            .category_id
            .or(current.map(|i| i.category_id))
            .ok_or_else(|| {
                Error::invalid(&format!("{at}.category_id"), "is required for a new item")
            })?;
        let input = ItemInput {
            category_id,
            sku: row.sku.filter(|s| !s.is_empty()),
            name: row.name,
            name_ar: row.name_ar.filter(|s| !s.is_empty()),
            description: row.description.filter(|s| !s.is_empty()),
            description_ar: row.description_ar.filter(|s| !s.is_empty()),
            price: row.price,
            image: current.and_then(|i| i.image.clone()),
            calories: row.calories,
            allergens: split(&row.allergens),
            dietary: split(&row.dietary),
            station: row.station.filter(|s| !s.is_empty()),
            prep_seconds: row.prep_seconds,
            active: row.active,
            modifier_group_ids: current.map(|i| i.group_ids.clone()).unwrap_or_default(),
        };
        valid(&input, &at)?;
        match current {
            Some(item) => {
                repo::update_item(tx, tenant_id, item.id, &input).await?;
                done.updated += 1;
                done.ids.push(item.id);
            }
            None => {
                let id = Uuid::now_v7();
                repo::insert_item(tx, tenant_id, id, &input).await?;
                done.created += 1;
                done.ids.push(id);
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::{cell, uncell};

    #[test]
    fn formula_like_cells_are_exported_as_text_and_imported_back() {
        for text in [
            "=1+2",
            "+SUM(A1)",
            "-2+3",
            "@cmd",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            let out = cell(text.to_string());
            assert_eq!(out, format!("'{text}"));
            assert_eq!(uncell(out), text);
        }
        for text in ["Burger", "", "'quoted", "a=b", "Karak - large"] {
            assert_eq!(cell(text.to_string()), text);
            assert_eq!(uncell(text.to_string()), text);
        }
    }
}
