//! The demo brand's menu: a bilingual Saudi casual-dining menu (breakfast day-part, modifier
//! groups, combos), with the Dubai branch charging its own price for one burger and one dish
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

use crate::{photos::PHOTOS, repo, transfer};

/// The menu document, in the import format.
pub const DEMO_MENU: &str = include_str!("../seed/demo-menu.json");

/// What the demo's Dubai branch does differently.
pub const DUBAI_PRICE_SKU: &str = "BRG-001";
pub const DUBAI_PRICE: i64 = 3500;
pub const DUBAI_SOLD_OUT_SKU: &str = "SHW-002";

/// Imports the demo menu into `tenant_id` and sets the Dubai branch's override and 86.
pub async fn run(state: &AppState, tenant_id: Uuid, dubai: Uuid) -> Result<()> {
    let mut doc: transfer::MenuDocument =
        serde_json::from_str(DEMO_MENU).map_err(anyhow::Error::from)?;
    with_photos(&mut doc);
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    repo::bump_version(&mut tx, tenant_id).await?;
    transfer::import(&mut tx, tenant_id, &doc).await?;
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
