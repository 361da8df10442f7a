//! The SQL of settlements (payouts from the acquirer and the online provider).

use platform::{
    db::Tx,
    error::{Error, Result},
};
use uuid::Uuid;

use super::{NewSettlement, SettledMethod, Settlement};

const SETTLEMENT_COLS: &str =
    "id, branch_id, method, reference, currency, gross, fees, net, settled_on, created_at";

/// Settlements of one branch take turns (until commit).
pub async fn lock_settlements(tx: &mut Tx, branch_id: Uuid) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('settlement:' || $1::text, 0))")
        .bind(branch_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn settlement_by_reference(
    tx: &mut Tx,
    method: SettledMethod,
    reference: &str,
) -> Result<Option<Settlement>> {
    Ok(sqlx::query_as(&format!(
        "select {SETTLEMENT_COLS} from settlements where method = $1 and reference = $2"
    ))
    .bind(method)
    .bind(reference)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn settlement(tx: &mut Tx, id: Uuid) -> Result<Settlement> {
    sqlx::query_as(&format!(
        "select {SETTLEMENT_COLS} from settlements where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn settlements(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<Settlement>> {
    Ok(sqlx::query_as(&format!(
        "select {SETTLEMENT_COLS} from settlements where branch_id = $1 \
         order by settled_on desc, created_at desc limit 200"
    ))
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn insert_settlement(
    tx: &mut Tx,
    (tenant_id, branch_id, currency): (Uuid, Uuid, &str),
    id: Uuid,
    s: &NewSettlement,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "insert into settlements (id, tenant_id, branch_id, method, reference, gross, fees, \
                                  settled_on, created_by, currency) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(branch_id)
    .bind(s.method)
    .bind(&s.reference)
    .bind(s.gross)
    .bind(s.fees)
    .bind(s.settled_on)
    .bind(by)
    .bind(currency)
    .execute(&mut **tx)
    .await
    .map_err(|e| match e {
        // The same reference booked for another branch at the same moment.
        sqlx::Error::Database(d)
            if d.constraint() == Some("settlements_tenant_id_method_reference_key") =>
        {
            Error::conflict(
                "settlement_reference_taken",
                "a payout with this reference was booked with other figures",
            )
        }
        other => other.into(),
    })?;
    Ok(())
}

/// Card or online payments of the branch captured, less refunds given back on them, less what
/// was settled: what the clearing account should hold.
pub async fn unsettled(tx: &mut Tx, branch_id: Uuid, method: SettledMethod) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select (coalesce((select sum(amount) from payments where branch_id = $1 and method = $2), 0) \
               - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                           where p.branch_id = $1 and p.method = $2), 0) \
               - coalesce((select sum(gross) from settlements where branch_id = $1 and method = $2), 0) \
                )::bigint",
    )
    .bind(branch_id)
    .bind(method)
    .fetch_one(&mut **tx)
    .await?)
}
