//! The SQL of cash payments.

use platform::{db::Tx, error::Result};
use uuid::Uuid;

pub struct NewPayment {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub tendered: Option<i64>,
    pub change_given: Option<i64>,
    pub taken_by: Option<Uuid>,
    pub drawer_session_id: Option<Uuid>,
}

pub async fn insert_cash_payment(tx: &mut Tx, p: &NewPayment) -> Result<()> {
    sqlx::query(
        "insert into payments (id, tenant_id, branch_id, order_id, method, status, amount, \
                               tendered, change_given, taken_by, drawer_session_id) \
         values ($1, $2, $3, $4, 'cash', 'captured', $5, $6, $7, $8, $9)",
    )
    .bind(p.id)
    .bind(p.tenant_id)
    .bind(p.branch_id)
    .bind(p.order_id)
    .bind(p.amount)
    .bind(p.tendered)
    .bind(p.change_given)
    .bind(p.taken_by)
    .bind(p.drawer_session_id)
    .execute(&mut **tx)
    .await?;
    ordering::api::add_paid(tx, p.order_id, p.amount).await
}
