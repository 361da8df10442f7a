//! The SQL of promo codes and their redemptions, in the caller's tenant-scoped transaction.

use platform::{db::Tx, error::Result};
use uuid::Uuid;

use super::model::{Promo, PromoInput};

const COLS: &str = "id, code, percent_bp, amount, valid_from, valid_until, max_uses, \
                    max_uses_per_customer, min_order, uses";

/// Inserts the code (kept upper-case: codes match without regard to case).
pub async fn insert(tx: &mut Tx, tenant_id: Uuid, req: &PromoInput) -> Result<Promo> {
    Ok(sqlx::query_as(&format!(
        "insert into promo_codes (id, tenant_id, code, percent_bp, amount, valid_from, valid_until, \
                                  max_uses, max_uses_per_customer, min_order) \
         values ($1, $2, upper($3), $4, $5, $6, $7, $8, $9, $10) returning {COLS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(&req.code)
    .bind(req.percent_bp)
    .bind(req.amount)
    .bind(req.valid_from)
    .bind(req.valid_until)
    .bind(req.max_uses)
    .bind(req.max_uses_per_customer)
    .bind(req.min_order)
    .fetch_one(&mut **tx)
    .await?)
}

/// The brand's live codes, newest first.
pub async fn live(tx: &mut Tx) -> Result<Vec<Promo>> {
    Ok(sqlx::query_as(&format!(
        "select {COLS} from promo_codes where archived_at is null order by created_at desc"
    ))
    .fetch_all(&mut **tx)
    .await?)
}

/// The live code `code`, its row locked until the transaction ends.
pub async fn lock_by_code(tx: &mut Tx, code: &str) -> Result<Option<Promo>> {
    Ok(sqlx::query_as(&format!(
        "select {COLS} from promo_codes where code = upper($1) and archived_at is null for update"
    ))
    .bind(code)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The code's uses with this phone or, when `account` is given, by that account.
pub async fn uses_by(
    tx: &mut Tx,
    promo_id: Uuid,
    phone: &str,
    account: Option<Uuid>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from promo_redemptions \
         where promo_id = $1 and (phone = $2 or redeemed_by = $3)",
    )
    .bind(promo_id)
    .bind(phone)
    .bind(account)
    .fetch_one(&mut **tx)
    .await?)
}

/// Records a use of the code for `order_id` and counts it.
pub async fn insert_redemption(
    tx: &mut Tx,
    tenant_id: Uuid,
    promo_id: Uuid,
    order_id: Uuid,
    by: Uuid,
    amount: i64,
    phone: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "insert into promo_redemptions (tenant_id, promo_id, order_id, redeemed_by, amount, phone) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(promo_id)
    .bind(order_id)
    .bind(by)
    .bind(amount)
    .bind(phone)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update promo_codes set uses = uses + 1 where id = $1")
        .bind(promo_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
