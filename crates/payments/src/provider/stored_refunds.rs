//! How the database-backed simulators record a refund: the same bookkeeping for the terminal and
//! the online provider, each in its own pair of tables (payments, refunds).

use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use super::{ProviderError, Refund, SimulatedOutcome};

/// A simulator's tables: where its payments are and where their refunds go.
#[derive(Clone, Copy)]
pub(super) struct Tables {
    pub payments: &'static str,
    pub refunds: &'static str,
    /// The simulator's storage failing, as the provider being unreachable.
    pub unreachable: fn(sqlx::Error) -> ProviderError,
}

/// Records a refund of `amount` of the payment `provider_ref` (locked by the caller in `tx`,
/// with `left` still refundable) and commits. Idempotent by `refund_reference`: asking again
/// answers the refund already made, and a different amount for the same reference is refused.
/// An amount ending in …52 then loses the answer, as a timeout would.
pub(super) async fn record(
    mut tx: Transaction<'_, Postgres>,
    tables: &Tables,
    provider_ref: &str,
    amount: i64,
    left: i64,
    refund_reference: Uuid,
) -> Result<Refund, ProviderError> {
    let Tables {
        payments,
        refunds,
        unreachable,
    } = *tables;
    let existing = sqlx::query(&format!(
        "select provider_ref, provider_refund_ref, amount from {refunds} \
         where refund_reference = $1"
    ))
    .bind(refund_reference)
    .fetch_optional(&mut *tx)
    .await
    .map_err(unreachable)?;
    if let Some(row) = existing {
        let (of, refund_ref, done): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        if of != provider_ref || done != amount {
            return Err(ProviderError::Invalid(format!(
                "refund {refund_reference} was already made for {done}, not {amount}"
            )));
        }
        return Ok(Refund {
            refund_reference,
            provider_refund_ref: refund_ref,
            amount,
        });
    }
    if amount > left {
        return Err(ProviderError::Invalid(format!(
            "refund of {amount} exceeds the {left} left to refund"
        )));
    }
    let count: i64 = sqlx::query_scalar(&format!(
        "select count(*) from {refunds} where provider_ref = $1"
    ))
    .bind(provider_ref)
    .fetch_one(&mut *tx)
    .await
    .map_err(unreachable)?;
    let provider_refund_ref = format!("{provider_ref}_re{}", count + 1);
    sqlx::query(&format!(
        "insert into {refunds} (refund_reference, provider_ref, provider_refund_ref, amount) \
         values ($1, $2, $3, $4)"
    ))
    .bind(refund_reference)
    .bind(provider_ref)
    .bind(&provider_refund_ref)
    .bind(amount)
    .execute(&mut *tx)
    .await
    .map_err(unreachable)?;
    sqlx::query(&format!(
        "update {payments} set refunded = refunded + $2 where provider_ref = $1"
    ))
    .bind(provider_ref)
    .bind(amount)
    .execute(&mut *tx)
    .await
    .map_err(unreachable)?;
    tx.commit().await.map_err(unreachable)?;
    if SimulatedOutcome::for_amount(amount) == SimulatedOutcome::Timeout {
        return Err(ProviderError::Timeout);
    }
    Ok(Refund {
        refund_reference,
        provider_refund_ref,
        amount,
    })
}
