//! The SQL of orders: idempotency keys and their answers, order numbers, the orders with their
//! lines and payments, their status history, lists, open tables, and timing. In the caller's
//! tenant-scoped transaction.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::LazyLock;

use platform::{
    db::{self, Db, Tx},
    error::{Error, Result},
    group_commit::{self, Row},
};
use sqlx::{FromRow, types::Json};
use uuid::Uuid;

use super::model::{OrderDto, OrderLine, PaymentDto, StatusChange, VoidedLine};
use crate::{
    lifecycle::{Channel, OrderType, Status},
    pricing::Pricing,
};

/// A finished request's stored answer: its request hash, status and body (JSON text, handed
/// back as it was stored).
pub type Done = (Vec<u8>, i32, String);

/// Holds the idempotency key for this transaction (an advisory lock, released when it ends)
/// and reads its stored answer. A concurrent request with the same key waits here until the
/// first ends, then sees its answer — or, if it rolled back, goes on itself. The key's row is
/// written once, with the answer, by [`place_orders`] or [`store_answer`].
pub async fn open_checkout(tx: &mut Tx, key: &str) -> Result<Option<Done>> {
    Ok(sqlx::query_as(
        "select request_hash, response_status, response_body::text from checkout_open($1)",
    )
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The key's stored answer, without a transaction or the key's lock (`idempotency_answer`,
/// one statement on a pooled connection; the brand is the signed-in caller's).
pub async fn answered(db: &Db, tenant_id: Uuid, key: &str) -> Result<Option<Done>> {
    static CALL: LazyLock<String> = LazyLock::new(|| {
        db::tenant_call(
            "f.request_hash, f.response_status, f.response_body::text",
            "idempotency_answer",
            &["$2::text"],
        )
    });
    Ok(sqlx::query_as(CALL.as_str())
        .bind(tenant_id.to_string())
        .bind(key)
        .fetch_optional(&db.pool)
        .await?)
}

/// Stores an answer that [`place_orders`] did not write (a replayed offline order's).
pub async fn store_answer(
    tx: &mut Tx,
    tenant_id: Uuid,
    key: &str,
    hash: &[u8],
    status: u16,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "insert into idempotency_keys (tenant_id, key, request_hash, response_status, \
         response_body) values ($1, $2, $3, $4, $5::json)",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(hash)
    .bind(i32::from(status))
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn order_by_client_ref(tx: &mut Tx, client_ref: Uuid) -> Result<Option<Uuid>> {
    Ok(
        sqlx::query_scalar("select id from orders where client_ref = $1")
            .bind(client_ref)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The branch's business day (its own date, in its time zone) and that day's next order
/// number, claimed by one statement outside the checkout's transaction on the counter pool
/// ([`platform::db::Db::counters`]): concurrent checkouts of a branch wait for each other only
/// while it runs, not until each other's commit. A checkout that fails after this leaves a gap
/// in the day's numbers; numbers stay unique. An archived or unknown branch is not found.
pub async fn claim_number(db: &Db, tenant_id: Uuid, branch_id: Uuid) -> Result<(NaiveDate, i32)> {
    claim_run(db, tenant_id, branch_id, 1).await
}

/// [`claim_number`] for `count` orders at once: the day and the first of `count` consecutive
/// numbers.
pub(super) async fn claim_run(
    db: &Db,
    tenant_id: Uuid,
    branch_id: Uuid,
    count: usize,
) -> Result<(NaiveDate, i32)> {
    let count = i32::try_from(count).map_err(anyhow::Error::from)?;
    static CALL: LazyLock<String> = LazyLock::new(|| {
        db::tenant_call(
            "f.business_date, f.first_number",
            "sous_claim_order_numbers",
            &["$2::uuid", "$3"],
        )
    });
    sqlx::query_as(CALL.as_str())
        .bind(tenant_id.to_string())
        .bind(branch_id)
        .bind(count)
        .fetch_one(db.counters())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("P0002") => Error::NotFound,
            other => other.into(),
        })
}

/// Writes orders in the caller's transaction through `order_place_batch` (rows from
/// [`batch_row`]): checkout's transactional path, one order whose key the transaction holds
/// since [`open_checkout`], and the checks made by a split or merge, which take no key. No key
/// can have been answered meanwhile; an order left out for one is an error, never a silent
/// loss.
pub async fn place_orders(tx: &mut Tx, rows: &[Row]) -> Result<()> {
    let (fields, answers) = group_commit::arguments(rows);
    let left_out: Vec<(i32, serde_json::Value)> =
        sqlx::query_as("select batch_position, answer from order_place_batch($1, $2)")
            .bind(fields)
            .bind(answers)
            .fetch_all(&mut **tx)
            .await?;
    if let Some((position, _)) = left_out.first() {
        return Err(anyhow::anyhow!(
            "order {position} of the batch was not written: its key was answered while held"
        )
        .into());
    }
    Ok(())
}

/// The order's status history, oldest first.
pub async fn status_changes(tx: &mut Tx, order_id: Uuid) -> Result<Vec<StatusChange>> {
    Ok(sqlx::query_as(
        "select from_status as \"from\", to_status as \"to\", reason, actor_id, at \
         from order_status_history where order_id = $1 order by id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn history(
    tx: &mut Tx,
    tenant_id: Uuid,
    order_id: Uuid,
    from: Option<Status>,
    to: Status,
    reason: Option<&str>,
    actor: Option<Uuid>,
) -> Result<()> {
    sqlx::query(
        "insert into order_status_history (tenant_id, order_id, from_status, to_status, reason, actor_id) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(order_id)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(actor)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub number: i32,
    pub business_date: NaiveDate,
    pub channel: Channel,
    #[sqlx(rename = "type")]
    pub order_type: OrderType,
    pub status: Status,
    pub table_ref: Option<String>,
    pub placed_by: Uuid,
    pub placed_by_kind: String,
    pub client_ref: Option<Uuid>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    pub contact_phone: Option<String>,
    pub currency: String,
    pub pricing: Json<Pricing>,
    pub total: i64,
    pub vat: i64,
    pub tip: i64,
    pub paid: i64,
    pub refunded: i64,
    pub created_at: DateTime<Utc>,
}

const ORDER_COLS: &str = "id, tenant_id, branch_id, number, business_date, channel, type, status, \
    table_ref, placed_by, placed_by_kind, client_ref, scheduled_for, notes, contact_phone, \
    currency::text as currency, \
    pricing, total, vat, tip, paid, refunded, created_at";

/// The order, locked for update when `lock` (status changes and payments serialise on it).
pub async fn order(tx: &mut Tx, id: Uuid, lock: bool) -> Result<OrderRow> {
    sqlx::query_as(&format!(
        "select {ORDER_COLS} from orders where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

#[derive(Debug, FromRow)]
struct LineRow {
    id: Uuid,
    product_id: Uuid,
    product_kind: String,
    name: String,
    name_ar: Option<String>,
    selection: serde_json::Value,
    quantity: i32,
    unit_price: i64,
    gross: i64,
    discount: i64,
    net: i64,
    vat: i64,
    notes: Option<String>,
    seat: Option<i32>,
    course: Option<i32>,
    void_reason: Option<String>,
    voided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, FromRow)]
struct PaymentRow {
    id: Uuid,
    method: String,
    status: String,
    amount: i64,
    tendered: Option<i64>,
    change_given: Option<i64>,
    refunded: i64,
    terminal_id: Option<String>,
    card_brand: Option<String>,
    last4: Option<String>,
    created_at: DateTime<Utc>,
}

/// The order as the API shows it.
pub async fn order_dto(tx: &mut Tx, row: OrderRow) -> Result<OrderDto> {
    let lines: Vec<LineRow> = sqlx::query_as(
        "select l.id, product_id, product_kind, name, name_ar, selection, quantity, unit_price, \
                gross, discount, net, vat, notes, seat, course, \
                v.reason as void_reason, v.created_at as voided_at \
         from order_lines l left join order_line_voids v on v.line_id = l.id \
         where l.order_id = $1 order by position",
    )
    .bind(row.id)
    .fetch_all(&mut **tx)
    .await?;
    let payments: Vec<PaymentRow> = sqlx::query_as(
        "select id, method, status, amount, tendered, change_given, refunded, terminal_id, \
                card_brand, last4, created_at \
         from payments where order_id = $1 order by created_at, id",
    )
    .bind(row.id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(OrderDto {
        id: row.id,
        branch_id: row.branch_id,
        number: row.number,
        business_date: row.business_date,
        channel: row.channel,
        order_type: row.order_type,
        status: row.status,
        table: row.table_ref,
        client_ref: row.client_ref,
        scheduled_for: row.scheduled_for,
        notes: row.notes,
        contact_phone: row.contact_phone,
        currency: row.currency,
        lines: lines
            .into_iter()
            .map(|l| OrderLine {
                id: l.id,
                product_id: l.product_id,
                product_kind: l.product_kind,
                name: l.name,
                name_ar: l.name_ar,
                selection: l.selection,
                quantity: l.quantity,
                unit_price: l.unit_price,
                gross: l.gross,
                discount: l.discount,
                net: l.net,
                vat: l.vat,
                notes: l.notes,
                seat: l.seat,
                course: l.course,
                voided: l
                    .void_reason
                    .zip(l.voided_at)
                    .map(|(reason, at)| VoidedLine { reason, at }),
            })
            .collect(),
        totals: row.pricing.0.totals,
        total: row.total,
        vat: row.vat,
        tip: row.tip,
        paid: row.paid,
        refunded: row.refunded,
        // Refunds reduce the sale, not what the guest owes.
        due: row.total - row.paid,
        payments: payments
            .into_iter()
            .map(|p| PaymentDto {
                id: p.id,
                method: p.method,
                status: p.status,
                amount: p.amount,
                tendered: p.tendered,
                change_given: p.change_given,
                refunded: p.refunded,
                terminal_id: p.terminal_id,
                card_brand: p.card_brand,
                last4: p.last4,
                created_at: p.created_at,
            })
            .collect(),
        created_at: row.created_at,
    })
}

pub async fn set_status(tx: &mut Tx, id: Uuid, status: Status, reason: Option<&str>) -> Result<()> {
    sqlx::query(
        "update orders set status = $2, status_reason = $3, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct ListFilter {
    pub branch_id: Uuid,
    pub status: Option<Status>,
    pub order_type: Option<OrderType>,
    pub since: Option<DateTime<Utc>>,
    /// Cursor: orders created before this one.
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// The branch's orders, newest first (cursor pagination by id: v7 ids sort by creation).
pub async fn list(tx: &mut Tx, f: &ListFilter) -> Result<Vec<OrderRow>> {
    Ok(sqlx::query_as(&format!(
        "select {ORDER_COLS} from orders \
         where branch_id = $1 and ($2::text is null or status = $2) \
           and ($3::text is null or type = $3) and ($4::timestamptz is null or created_at >= $4) \
           and ($5::uuid is null or id < $5) \
         order by id desc limit $6"
    ))
    .bind(f.branch_id)
    .bind(f.status)
    .bind(f.order_type)
    .bind(f.since)
    .bind(f.before)
    .bind(f.limit)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(Debug, FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenTable {
    pub table: String,
    pub orders: i64,
    /// Order numbers, oldest first.
    pub numbers: Vec<i32>,
    pub total: i64,
    pub due: i64,
    pub since: DateTime<Utc>,
}

/// The branch's tables with open dine-in orders.
pub async fn open_tables(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<OpenTable>> {
    Ok(sqlx::query_as(
        "select table_ref as table, count(*) as orders, array_agg(number order by created_at) as numbers, \
                sum(total)::bigint as total, sum(total - (paid - refunded))::bigint as due, \
                min(created_at) as since \
         from orders \
         where branch_id = $1 and type = 'dine_in' and table_ref is not null \
           and status not in ('closed', 'cancelled', 'voided', 'split', 'merged') \
         group by table_ref order by table_ref",
    )
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

pub async fn move_table(tx: &mut Tx, order_id: Uuid, table: &str) -> Result<()> {
    sqlx::query("update orders set table_ref = $2, updated_at = now() where id = $1")
        .bind(order_id)
        .bind(table)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many orders the guest session `session_id` has placed.
pub async fn guest_orders(tx: &mut Tx, session_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from orders where placed_by = $1 and placed_by_kind = 'guest'",
    )
    .bind(session_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// The median time the branch's last 50 orders that became ready took from placement, in
/// seconds; `None` before the first. Read backwards along the history's key, so only the
/// recent end of it is scanned.
pub async fn recent_ready_seconds(tx: &mut Tx, branch_id: Uuid) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "select percentile_cont(0.5) within group (order by extract(epoch from r.at - r.placed))::bigint \
         from (select h.at, o.created_at as placed from order_status_history h \
               join orders o on o.id = h.order_id \
               where h.to_status = 'ready' and o.branch_id = $1 \
               order by h.id desc limit 50) r",
    )
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}
