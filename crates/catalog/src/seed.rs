//! The demo brand's menu: a bilingual Saudi casual-dining menu (breakfast day-part, modifier
//! groups, combos), priced in SAR at 15 % VAT in Riyadh; the Dubai branch is in the UAE, at 5 %
//! VAT in AED with its own AED price for every item (one burger priced apart), and one dish
//! 86'd there, so every catalog feature shows on first start. Every item and combo has a photo:
//! a drawing made for the project (`web/scripts/draw-demo-photos.mjs`), 640 pixels wide with a
//! 320-pixel copy for phones.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use platform::{
    AppState,
    db::TenantScope,
    error::{Error, Result},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{country, photos::PHOTOS, repo, transfer};

/// The menu document, in the import format.
pub const DEMO_MENU: &str = include_str!("../seed/demo-menu.json");

/// What the demo's Dubai branch does differently.
pub const DUBAI_COUNTRY: &str = "AE";
pub const DUBAI_PRICE_SKU: &str = "BRG-001";
/// AED 35.00.
pub const DUBAI_PRICE: i64 = 3500;

/// The Dubai price (fils) of an item the brand prices in halalas: about what it costs in
/// Riyadh (1 SAR is about 0.98 AED), rounded to half a dirham as menus there are.
pub fn dubai_price(sar: i64) -> i64 {
    (sar * 98 / 100 + 25) / 50 * 50
}
pub const DUBAI_SOLD_OUT_SKU: &str = "SHW-002";

/// Imports the demo menu into `tenant_id`, puts the Dubai branch in the UAE with its AED
/// prices, and 86es a dish there.
pub async fn run(state: &AppState, tenant_id: Uuid, dubai: Uuid) -> Result<()> {
    let mut doc: transfer::MenuDocument =
        serde_json::from_str(DEMO_MENU).map_err(anyhow::Error::from)?;
    with_photos(&mut doc);
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    repo::bump_version(&mut tx, tenant_id).await?;
    transfer::import(&mut tx, tenant_id, &doc).await?;
    let uae = country::repo::country(&mut tx, DUBAI_COUNTRY)
        .await?
        .ok_or(Error::NotFound)?;
    let input = country::model::BranchCountryInput {
        country: uae.code.clone(),
        currency: None,
        vat_rate_bp: None,
        vat_inclusive: None,
        legal_name: None,
        legal_name_ar: None,
        vat_number: None,
    };
    country::repo::set(&mut tx, dubai, &input, &uae).await?;
    for item in repo::items(&mut tx, None).await? {
        let price = dubai_price(item.price);
        repo::set_item_override(&mut tx, tenant_id, dubai, item.id, Some(price), false).await?;
    }
    let priced = repo::item_id_by_sku(&mut tx, DUBAI_PRICE_SKU)
        .await?
        .ok_or(Error::NotFound)?;
    repo::set_item_override(&mut tx, tenant_id, dubai, priced, Some(DUBAI_PRICE), false).await?;
    let sold_out = repo::item_id_by_sku(&mut tx, DUBAI_SOLD_OUT_SKU)
        .await?
        .ok_or(Error::NotFound)?;
    repo::set_sold_out(&mut tx, tenant_id, dubai, sold_out, None).await?;
    tx.commit().await?;
    Ok(())
}

/// The demo document with its photos: each drawing and its phone-sized copy as media, the
/// drawing as the image of the item or combo of its SKU.
pub fn with_photos(doc: &mut transfer::MenuDocument) {
    let mut by_sku = std::collections::HashMap::new();
    for (sku, large, small) in PHOTOS {
        let large_sha = hex::encode(Sha256::digest(large));
        for (bytes, variant_of) in [(*large, None), (*small, Some(large_sha.clone()))] {
            doc.media.push(transfer::MediaDoc {
                sha256: hex::encode(Sha256::digest(bytes)),
                content_type: "image/webp".into(),
                data: BASE64.encode(bytes),
                variant_of,
            });
        }
        by_sku.insert(*sku, large_sha);
    }
    for c in &mut doc.categories {
        for i in &mut c.items {
            if let Some(sha) = i.sku.as_deref().and_then(|s| by_sku.get(s)) {
                i.image = Some(sha.clone());
            }
        }
        for combo in &mut c.combos {
            if let Some(sha) = combo.sku.as_deref().and_then(|s| by_sku.get(s)) {
                combo.image = Some(sha.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_item_and_combo_has_a_photo_in_two_widths() {
        let mut doc: transfer::MenuDocument = serde_json::from_str(DEMO_MENU).unwrap();
        with_photos(&mut doc);
        for c in &doc.categories {
            for i in &c.items {
                assert!(i.image.is_some(), "{} has no photo", i.name);
            }
            for combo in &c.combos {
                assert!(combo.image.is_some(), "{} has no photo", combo.name);
            }
        }
        for (sku, large, small) in PHOTOS {
            let large = crate::media::inspect(Some("image/webp"), large).unwrap();
            let small = crate::media::inspect(Some("image/webp"), small).unwrap();
            assert_eq!((large.width, large.height), (640, 480), "{sku}");
            assert_eq!((small.width, small.height), (320, 240), "{sku}");
        }
    }
}
