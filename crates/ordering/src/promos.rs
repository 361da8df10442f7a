//! Promo codes: a discount a guest types at checkout. A code is checked and counted in the
//! checkout transaction with its row locked, so its usage limits hold however many guests use
//! it at once.

use chrono::{DateTime, Utc};
use garde::Validate;
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::Tx,
    error::{Error, Result, ResultExt},
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pricing::Discount;

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromoInput {
    /// Letters, digits, `-` and `_`; matched without regard to case.
    #[garde(pattern(r"^[A-Za-z0-9_-]{3,40}$"))]
    #[schema(pattern = r"^[A-Za-z0-9_-]{3,40}$")]
    pub code: String,
    #[garde(inner(range(min = 1, max = 10_000)))]
    #[schema(minimum = 1, maximum = 10000)]
    pub percent_bp: Option<i32>,
    #[garde(inner(range(min = 1, max = 100_000_000)))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount: Option<i64>,
    #[garde(skip)]
    pub valid_from: DateTime<Utc>,
    #[garde(skip)]
    pub valid_until: DateTime<Utc>,
    #[garde(inner(range(min = 1)))]
    #[schema(minimum = 1)]
    pub max_uses: Option<i32>,
    #[garde(inner(range(min = 1)))]
    #[schema(minimum = 1)]
    pub max_uses_per_customer: Option<i32>,
    /// Minimum items subtotal before the code applies.
    #[serde(default)]
    #[garde(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub min_order: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Promo {
    pub id: Uuid,
    pub code: String,
    pub percent_bp: Option<i32>,
    pub amount: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub max_uses: Option<i32>,
    pub max_uses_per_customer: Option<i32>,
    pub min_order: i64,
    pub uses: i32,
}

const COLS: &str = "id, code, percent_bp, amount, valid_from, valid_until, max_uses, \
                    max_uses_per_customer, min_order, uses";

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
    let promo = sqlx::query_as(&format!(
        "insert into promo_codes (id, tenant_id, code, percent_bp, amount, valid_from, valid_until, \
                                  max_uses, max_uses_per_customer, min_order) \
         values ($1, $2, upper($3), $4, $5, $6, $7, $8, $9, $10) returning {COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(who.tenant_id)
    .bind(&req.code)
    .bind(req.percent_bp)
    .bind(req.amount)
    .bind(req.valid_from)
    .bind(req.valid_until)
    .bind(req.max_uses)
    .bind(req.max_uses_per_customer)
    .bind(req.min_order)
    .fetch_one(&mut *tx)
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
    let promos = sqlx::query_as(&format!(
        "select {COLS} from promo_codes where archived_at is null order by created_at desc"
    ))
    .fetch_all(&mut *tx)
    .await?;
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
    let promo: Promo = sqlx::query_as(&format!(
        "select {COLS} from promo_codes where code = upper($1) and archived_at is null for update"
    ))
    .bind(code)
    .fetch_optional(&mut **tx)
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
        let mine: i64 = sqlx::query_scalar(
            "select count(*) from promo_redemptions \
             where promo_id = $1 and (phone = $2 or redeemed_by = $3)",
        )
        .bind(promo.id)
        .bind(phone)
        .bind(account)
        .fetch_one(&mut **tx)
        .await?;
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
    sqlx::query(
        "insert into promo_redemptions (tenant_id, promo_id, order_id, redeemed_by, amount, phone) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(who.tenant_id)
    .bind(promo.id)
    .bind(order_id)
    .bind(who.id)
    .bind(amount)
    .bind(phone)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update promo_codes set uses = uses + 1 where id = $1")
        .bind(promo.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
