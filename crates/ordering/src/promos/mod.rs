//! Promo codes: a discount a guest types at checkout. A code is checked and counted in the
//! checkout transaction with its row locked, so its usage limits hold however many guests use
//! it at once.

pub mod model;
pub mod repo;
pub mod routes;

use chrono::Utc;
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::Tx,
    error::{Error, Result, ResultExt},
};
use uuid::Uuid;

pub use model::{Promo, PromoInput};

use crate::pricing::Discount;

pub async fn create(state: &AppState, who: &Principal, req: &PromoInput) -> Result<Promo> {
    who.require_whole_brand()?;
    if req.percent_bp.is_some() == req.amount.is_some() {
        return Err(Error::invalid(
            "percentBp",
            "give percentBp or amount, not both",
        ));
    }
    if req.valid_from >= req.valid_until {
        return Err(Error::invalid("validUntil", "must be after validFrom"));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    let promo = repo::insert(&mut tx, who.tenant_id, req)
        .await
        .on_constraint("promo_codes_code_key", || {
            Error::conflict("code_taken", "a live promo code with this code exists")
        })?;
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "promo.created",
            entity: "promo_code",
            entity_id: None,
            before: None,
            after: Some(serde_json::to_value(&promo).map_err(anyhow::Error::from)?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(promo)
}

pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<Promo>> {
    let mut tx = state.db.begin(who.scope()).await?;
    let promos = repo::live(&mut tx).await?;
    tx.commit().await?;
    Ok(promos)
}

fn refused(message: impl Into<String>) -> Error {
    Error::invalid("promoCode", message)
}

/// Checks `code` for `who` and an order whose items come to `items_gross`, with the order's
/// contact `phone` (E.164), locking the code's row until the checkout commits. Returns the code
/// and its discount.
pub async fn redeemable(
    tx: &mut Tx,
    who: &Principal,
    code: &str,
    items_gross: i64,
    phone: Option<&str>,
) -> Result<(Promo, Discount)> {
    let promo = repo::lock_by_code(tx, code)
        .await?
        .ok_or_else(|| refused("no such promo code"))?;
    let now = Utc::now();
    if now < promo.valid_from {
        return Err(refused("this code is not valid yet"));
    }
    if now >= promo.valid_until {
        return Err(refused("this code has expired"));
    }
    if promo.max_uses.is_some_and(|m| promo.uses >= m) {
        return Err(refused("this code has been used up"));
    }
    if let Some(per) = promo.max_uses_per_customer {
        // A guest session or a customer account is free to make again; a phone number is not.
        // So a limit per customer counts the uses with the same phone, and, for a customer, the
        // uses of their account too (a new phone does not make them new). The code's row is
        // locked, so two checkouts with one phone cannot both pass.
        let phone = phone.ok_or_else(|| {
            Error::invalid(
                crate::contact::FIELD,
                "this promo code is limited per customer: give the phone number to call \
                 about the order",
            )
        })?;
        let account = (who.kind == PrincipalKind::Customer).then_some(who.id);
        let mine = repo::uses_by(tx, promo.id, phone, account).await?;
        if mine >= i64::from(per) {
            return Err(refused(
                "you have already used this code (with this phone number or this account)",
            ));
        }
    }
    if items_gross < promo.min_order {
        return Err(refused(format!(
            "this code needs an order of at least {}",
            promo.min_order
        )));
    }
    let discount = match (promo.percent_bp, promo.amount) {
        (Some(bp), _) => Discount::percent(bp as u32),
        (None, Some(amount)) => Discount::fixed(amount),
        (None, None) => return Err(anyhow::anyhow!("promo {} has no value", promo.id).into()),
    }
    .labelled(promo.code.clone());
    Ok((promo, discount))
}

/// Counts a use of the code by `who`, with the order's contact `phone`, for `order_id`.
pub async fn redeem(
    tx: &mut Tx,
    who: &Principal,
    promo: &Promo,
    order_id: Uuid,
    amount: i64,
    phone: Option<&str>,
) -> Result<()> {
    repo::insert_redemption(tx, who.tenant_id, promo.id, order_id, who.id, amount, phone).await?;
    Ok(())
}
