//! All SQL of ordering, in the caller's tenant-scoped transaction.

use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;
use std::sync::LazyLock;

use platform::{
    db::{self, Db, Tx},
    error::{Error, Result},
    group_commit::{self, Batched, Row},
};
use serde::Serialize;
use sqlx::{FromRow, types::Json};
use uuid::Uuid;

use crate::{
    lifecycle::{Channel, OrderType, Status},
    model::{OrderDto, OrderLine, PaymentDto, StatusChange},
    pricing::Pricing,
    settlement::{NewSettlement, SettledMethod, Settlement},
};

// ---- idempotency --------------------------------------------------------------------------

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

/// The answer to store under an idempotency key, with the hash of the request it answers: the
/// JSON body as it is sent.
pub struct KeyedAnswer<'a> {
    pub key: &'a str,
    pub hash: &'a [u8],
    pub body: String,
}

/// Checkouts written together ([`platform::group_commit`]) by `order_place_batch`, their
/// order numbers claimed for the whole batch first ([`claim_numbers`]).
pub const PLACE_BATCH: Batched = Batched {
    function: "order_place_batch",
    prepare: Some(claim_numbers),
};

/// What an order carries until its batch claims its number ([`claim_numbers`]); the orders
/// table refuses number 0, so an order never written with it.
pub const UNCLAIMED: (NaiveDate, i32) = (NaiveDate::MIN, 0);

/// One order as `order_place_batch` takes it: the order, its lines (each with its share of
/// the pricing), the cash taken with it, its journal entries, and the key to store the answer
/// under — the answer itself is the row's document, beside the batch (none for a split or
/// merge, which takes no key).
pub fn batch_row(
    o: &NewOrder<'_>,
    lines: &[NewLine],
    cash: Option<&CashWithOrder>,
    entries: Vec<serde_json::Value>,
    answer: Option<KeyedAnswer<'_>>,
) -> Result<Row> {
    use serde_json::Value;
    // Built by hand rather than with `json!`, which would copy the lines and entries (several
    // kB of JSON) instead of moving them in.
    let mut row = serde_json::Map::with_capacity(7);
    row.insert(
        "order".into(),
        serde_json::to_value(o).map_err(anyhow::Error::from)?,
    );
    row.insert("lines".into(), Value::Array(line_rows(o, lines)?));
    row.insert(
        "payment".into(),
        serde_json::to_value(cash).map_err(anyhow::Error::from)?,
    );
    row.insert("entries".into(), Value::Array(entries));
    let (key, hash, status, document) = match answer {
        Some(a) => (
            a.key.into(),
            hex::encode(a.hash).into(),
            201.into(),
            Some(a.body),
        ),
        None => (Value::Null, Value::Null, Value::Null, None),
    };
    row.insert("key".into(), key);
    row.insert("hash".into(), hash);
    row.insert("status".into(), status);
    Ok(Row {
        fields: Value::Object(row),
        document,
    })
}

/// The answer of a batch row as it was written (its number claimed).
pub fn written_answer(row: Row) -> Result<String> {
    Ok(row
        .document
        .ok_or_else(|| anyhow::anyhow!("a written order without its answer"))?)
}

/// What `order_place_batch` answers for an order it did not write: the stored request hash,
/// status and body under its key.
pub fn stored_answer(v: serde_json::Value) -> Result<Done> {
    #[derive(serde::Deserialize)]
    struct Stored {
        hash: String,
        status: i32,
        body: serde_json::Value,
    }
    let s: Stored = serde_json::from_value(v).map_err(anyhow::Error::from)?;
    let hash = hex::decode(&s.hash).map_err(anyhow::Error::from)?;
    let body = serde_json::to_string(&s.body).map_err(anyhow::Error::from)?;
    Ok((hash, s.status, body))
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

// ---- orders -------------------------------------------------------------------------------

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
async fn claim_run(
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

/// [`PLACE_BATCH`]'s prepare: one claim per branch of the batch (one, but for a manager's
/// orders at several), its numbers written into each order row and its answer, in batch order.
fn claim_numbers<'a>(db: &'a Db, rows: &'a mut [Row]) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        let branches = rows
            .iter()
            .map(|row| {
                let of = |field: &str| {
                    row.fields["order"][field]
                        .as_str()
                        .and_then(|s| s.parse::<Uuid>().ok())
                        .ok_or_else(|| anyhow::anyhow!("a batch row's order has no {field}"))
                };
                Ok((of("tenant_id")?, of("branch_id")?))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut claimed: Vec<(Uuid, Uuid)> = Vec::new();
        for &branch in &branches {
            if claimed.contains(&branch) {
                continue;
            }
            claimed.push(branch);
            let mine: Vec<usize> = (0..rows.len()).filter(|&i| branches[i] == branch).collect();
            let (day, first) = claim_run(db, branch.0, branch.1, mine.len()).await?;
            for (number, i) in (first..).zip(mine) {
                numbered(&mut rows[i], day, number)?;
            }
        }
        Ok(())
    })
}

/// Writes the claimed day and number into a batch row's order and its answer.
fn numbered(row: &mut Row, day: NaiveDate, number: i32) -> Result<()> {
    row.fields["order"]["business_date"] = serde_json::json!(day);
    row.fields["order"]["number"] = number.into();
    if let Some(answer) = &row.document {
        row.document = Some(numbered_answer(answer, day, number)?);
    }
    Ok(())
}

/// An answer with the claimed day and number in place of those it was serialised with
/// ([`UNCLAIMED`], or an earlier claim's when a failed batch is claimed again row by row). The
/// answer is an [`OrderDto`], whose first fields are its number and day: it is serialised
/// once, before the claim, and only this head changes.
fn numbered_answer(answer: &str, day: NaiveDate, number: i32) -> Result<String> {
    let rest = answer_rest(answer)
        .ok_or_else(|| anyhow::anyhow!("an answer does not start with its number and day"))?;
    Ok(answer_head(day, number)? + rest)
}

/// How an [`OrderDto`]'s JSON starts: `{"number":…,"businessDate":"…",`.
fn answer_head(day: NaiveDate, number: i32) -> Result<String> {
    let day = serde_json::to_string(&day).map_err(anyhow::Error::from)?;
    Ok(format!("{{\"number\":{number},\"businessDate\":{day},"))
}

/// What follows an [`OrderDto`]'s head ([`answer_head`]), whatever number and day it has.
fn answer_rest(answer: &str) -> Option<&str> {
    let rest = answer.strip_prefix("{\"number\":")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let day_and_rest = rest.strip_prefix(",\"businessDate\":\"")?;
    let (_, rest) = day_and_rest.split_once('"')?;
    rest.strip_prefix(',')
}

/// An order row as `order_place_batch` takes it (keys are the columns).
#[derive(Serialize)]
pub struct NewOrder<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub business_date: NaiveDate,
    pub number: i32,
    pub channel: Channel,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[serde(rename = "table_ref")]
    pub table: Option<&'a str>,
    pub placed_by: Uuid,
    pub placed_by_kind: &'a str,
    pub client_ref: Option<Uuid>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub notes: Option<&'a str>,
    /// E.164 ([`crate::contact::normalise`]).
    pub contact_phone: Option<&'a str>,
    pub currency: &'a str,
    pub pricing: &'a Pricing,
    pub total: i64,
    pub vat: i64,
    pub tip: i64,
    /// Cash taken with the order.
    pub paid: i64,
    /// The app's clock, to the microsecond PostgreSQL keeps, so the answer built from these
    /// values is the order as it is read back.
    pub created_at: DateTime<Utc>,
}

/// A line row as `order_place_batch` takes it, less its share of the pricing.
#[derive(Clone, Serialize)]
pub struct NewLine {
    pub id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub product_kind: &'static str,
    pub name: String,
    pub name_ar: Option<String>,
    pub selection: serde_json::Value,
    pub quantity: i32,
    pub unit_price: i64,
    pub notes: Option<String>,
    pub seat: Option<i32>,
    pub course: Option<i32>,
}

/// A cash payment taken with the order, as `order_place_batch` takes it: the payment row, and the
/// till whose open drawer session (if any) it goes into.
#[derive(Serialize)]
pub struct CashWithOrder {
    pub id: Uuid,
    pub method: &'static str,
    pub status: &'static str,
    pub amount: i64,
    pub tendered: i64,
    pub change_given: i64,
    pub taken_by: Uuid,
    pub device_id: Option<Uuid>,
}

/// The line rows as `order_place_batch` takes them: each line with its share of the pricing.
fn line_rows(o: &NewOrder<'_>, lines: &[NewLine]) -> Result<Vec<serde_json::Value>> {
    lines
        .iter()
        .zip(&o.pricing.lines)
        .map(|(l, p)| {
            let mut row = serde_json::to_value(l).map_err(anyhow::Error::from)?;
            row["gross"] = p.gross.into();
            row["discount"] = p.discount.into();
            row["net"] = p.net.into();
            row["vat"] = p.vat.into();
            Ok(row)
        })
        .collect()
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

#[derive(Debug, FromRow)]
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
        "select id, product_id, product_kind, name, name_ar, selection, quantity, unit_price, \
                gross, discount, net, vat, notes, seat, course \
         from order_lines where order_id = $1 order by position",
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
    sqlx::query("update orders set paid = paid + $2, updated_at = now() where id = $1")
        .bind(p.order_id)
        .bind(p.amount)
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

/// What the books should say, from the orders and payments themselves (reconciliation).
#[derive(Debug, Default, FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Expected {
    /// Sum of live orders' totals minus what was paid on them.
    pub receivable: i64,
    pub cash: i64,
    /// Card payments captured less what was given back on them, less what was settled.
    pub card: i64,
    /// Online payments captured less what was given back on them, less what was settled.
    pub online: i64,
    /// What payouts brought to the banks.
    pub bank: i64,
    /// What providers kept from payouts.
    pub fees: i64,
    pub vat: i64,
    pub tips: i64,
}

pub async fn expected(tx: &mut Tx) -> Result<Expected> {
    Ok(sqlx::query_as(
        "select \
           coalesce((select sum(total - paid) from orders where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint \
               as receivable, \
           (coalesce((select sum(amount) from payments where method = 'cash'), 0) \
            - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                        where p.method = 'cash'), 0) \
            + coalesce((select sum(float_amount + coalesce(over_short, 0) - coalesce(counted, 0)) \
                        from drawer_sessions), 0) \
            + coalesce((select sum(case when kind = 'cash_in' then amount else -amount end) \
                        from drawer_movements), 0))::bigint as cash, \
           (coalesce((select sum(amount) from payments where method = 'card'), 0) \
            - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                        where p.method = 'card'), 0) \
            - coalesce((select sum(gross) from settlements where method = 'card'), 0))::bigint as card, \
           (coalesce((select sum(amount) from payments where method = 'online'), 0) \
            - coalesce((select sum(r.amount) from refunds r join payments p on p.id = r.payment_id \
                        where p.method = 'online'), 0) \
            - coalesce((select sum(gross) from settlements where method = 'online'), 0))::bigint as online, \
           coalesce((select sum(net) from settlements), 0)::bigint as bank, \
           coalesce((select sum(fees) from settlements), 0)::bigint as fees, \
           (coalesce((select sum(vat) from orders where status not in ('cancelled', 'voided', 'split', 'merged')), 0) \
            - coalesce((select sum(r.vat) from refunds r join orders o on o.id = r.order_id \
                        where o.status not in ('cancelled', 'voided', 'split', 'merged')), 0))::bigint as vat, \
           coalesce((select sum(tip) from orders where status not in ('cancelled', 'voided', 'split', 'merged')), 0)::bigint as tips",
    )
    .fetch_one(&mut **tx)
    .await?)
}

// ---- refunds ----------------------------------------------------------------------------------

#[derive(Debug, FromRow)]
pub struct PaymentRef {
    pub id: Uuid,
    pub method: String,
    pub amount: i64,
    pub refunded: i64,
    pub provider: Option<String>,
    pub provider_ref: Option<String>,
}

pub async fn payment(tx: &mut Tx, id: Uuid, order_id: Uuid) -> Result<Option<PaymentRef>> {
    Ok(sqlx::query_as(
        "select id, method, amount, refunded, provider, provider_ref from payments \
         where id = $1 and order_id = $2 for update",
    )
    .bind(id)
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn refunded_vat(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(
        sqlx::query_scalar("select coalesce(sum(vat), 0)::bigint from refunds where order_id = $1")
            .bind(order_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

pub struct NewRefund<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub order_id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub vat: i64,
    pub reason: &'a str,
    pub created_by: Uuid,
    pub approved_by: Option<Uuid>,
    pub drawer_session_id: Option<Uuid>,
}

/// Records a refund and adds it to its payment and order.
pub async fn insert_refund(tx: &mut Tx, r: &NewRefund<'_>) -> Result<()> {
    sqlx::query(
        "insert into refunds (id, tenant_id, order_id, payment_id, amount, vat, reason, created_by, \
                              approved_by, drawer_session_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(r.order_id)
    .bind(r.payment_id)
    .bind(r.amount)
    .bind(r.vat)
    .bind(r.reason)
    .bind(r.created_by)
    .bind(r.approved_by)
    .bind(r.drawer_session_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "update payments set refunded = refunded + $2, \
                status = case when refunded + $2 = amount then 'refunded' else 'partially_refunded' end \
         where id = $1",
    )
    .bind(r.payment_id)
    .bind(r.amount)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update orders set refunded = refunded + $2, updated_at = now() where id = $1")
        .bind(r.order_id)
        .bind(r.amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives back what is left of every payment of a voided order, as refunds at `drawer` (their
/// VAT is 0: the voided sale's reversal takes all of it back).
pub async fn refund_all_payments(
    tx: &mut Tx,
    order_id: Uuid,
    reason: &str,
    created_by: Uuid,
    approved_by: Uuid,
    drawer: Option<Uuid>,
) -> Result<()> {
    sqlx::query(
        "insert into refunds (id, tenant_id, order_id, payment_id, amount, vat, reason, created_by, \
                              approved_by, drawer_session_id) \
         select gen_random_uuid(), tenant_id, order_id, id, amount - refunded, 0, $2, $3, $4, $5 \
         from payments where order_id = $1 and amount > refunded",
    )
    .bind(order_id)
    .bind(reason)
    .bind(created_by)
    .bind(approved_by)
    .bind(drawer)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update payments set refunded = amount, status = 'voided' where order_id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("update orders set refunded = paid, updated_at = now() where id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---- tables -----------------------------------------------------------------------------------

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

// ---- card payments and their recovery points ---------------------------------------------------

/// A call out to a payment provider, recorded before it is made (`payment_attempts`).
#[derive(Clone, Debug, FromRow)]
pub struct AttemptRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub kind: String,
    pub method: String,
    pub provider: String,
    pub terminal_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub payment_id: Option<Uuid>,
    pub provider_ref: Option<String>,
    pub decline_code: Option<String>,
    pub error: Option<String>,
    pub reason: Option<String>,
    pub approved_by: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub session_id: Option<String>,
    pub redirect_url: Option<String>,
    pub return_url: Option<String>,
}

const ATTEMPT_COLS: &str = "id, tenant_id, branch_id, order_id, kind, method, provider, terminal_id, \
    amount, currency, status, payment_id, provider_ref, decline_code, error, reason, approved_by, \
    created_by, created_at, session_id, redirect_url, return_url";

pub async fn attempt_by_key(tx: &mut Tx, key: &str) -> Result<Option<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "select {ATTEMPT_COLS} from payment_attempts where idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The attempt, locked when `lock` (finishing it takes the order's lock first, then this).
pub async fn attempt(tx: &mut Tx, id: Uuid, lock: bool) -> Result<Option<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "select {ATTEMPT_COLS} from payment_attempts where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Card charges on the order whose outcome is not known yet: they may still be captured, so
/// they count against what is due. Online sessions do not: a guest who opens one and walks
/// away must not block the till; one that lands after the order was paid is given back.
pub async fn open_charges(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(amount), 0)::bigint from payment_attempts \
         where order_id = $1 and kind = 'charge' and method = 'card' \
           and status in ('pending', 'unknown')",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Refunds of the payment under way at the provider: they count against what is left.
pub async fn open_refunds(tx: &mut Tx, payment_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(amount), 0)::bigint from payment_attempts \
         where payment_id = $1 and kind = 'refund' and status in ('pending', 'unknown')",
    )
    .bind(payment_id)
    .fetch_one(&mut **tx)
    .await?)
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

/// What refunds still under way at a terminal will give back on an order.
pub async fn open_refunds_of_order(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(amount), 0)::bigint from payment_attempts \
         where order_id = $1 and kind = 'refund' and status in ('pending', 'unknown')",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn open_attempts(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from payment_attempts \
         where order_id = $1 and status in ('pending', 'unknown')",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub struct NewAttempt<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub kind: &'a str,
    pub method: &'a str,
    pub provider: &'a str,
    pub terminal_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub return_url: Option<&'a str>,
    pub amount: i64,
    pub currency: &'a str,
    pub payment_id: Option<Uuid>,
    pub provider_ref: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub approved_by: Option<Uuid>,
    pub created_by: Uuid,
}

pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>) -> Result<()> {
    sqlx::query(
        "insert into payment_attempts (id, tenant_id, branch_id, order_id, kind, method, provider, \
                                       terminal_id, idempotency_key, amount, currency, status, \
                                       payment_id, provider_ref, reason, approved_by, created_by, \
                                       return_url) \
         values ($1, $2, $3, $4, $5, $16, $6, $7, $8, $9, $10, 'pending', $11, $12, $13, $14, $15, $17)",
    )
    .bind(a.id)
    .bind(a.tenant_id)
    .bind(a.branch_id)
    .bind(a.order_id)
    .bind(a.kind)
    .bind(a.provider)
    .bind(a.terminal_id)
    .bind(a.idempotency_key)
    .bind(a.amount)
    .bind(a.currency)
    .bind(a.payment_id)
    .bind(a.provider_ref)
    .bind(a.reason)
    .bind(a.approved_by)
    .bind(a.created_by)
    .bind(a.method)
    .bind(a.return_url)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The hosted session an online attempt opened.
pub async fn set_session(
    tx: &mut Tx,
    id: Uuid,
    session_id: &str,
    redirect_url: &str,
) -> Result<()> {
    sqlx::query(
        "update payment_attempts set session_id = $2, redirect_url = $3, status = 'pending', \
                updated_at = now() \
         where id = $1 and status in ('pending', 'unknown')",
    )
    .bind(id)
    .bind(session_id)
    .bind(redirect_url)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The tenant of an attempt, before any tenant is known (a webhook names only the attempt).
pub async fn attempt_tenant(tx: &mut Tx, id: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("select payment_attempt_tenant($1)")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Records a webhook delivery by its signature; false when this very delivery was seen.
pub async fn record_delivery(tx: &mut Tx, provider: &str, replay_key: &str) -> Result<bool> {
    Ok(sqlx::query(
        "insert into webhook_deliveries (provider, replay_key) values ($1, $2) \
         on conflict do nothing",
    )
    .bind(provider)
    .bind(replay_key)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Records a webhook event by its id; false when it was acted on already.
pub async fn record_event(
    tx: &mut Tx,
    provider: &str,
    event_id: &str,
    tenant_id: Uuid,
    attempt_id: Uuid,
    kind: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "insert into webhook_events (provider, event_id, tenant_id, attempt_id, kind) \
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(provider)
    .bind(event_id)
    .bind(tenant_id)
    .bind(attempt_id)
    .bind(kind)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// What became of an attempt, with whatever the provider handed back.
#[derive(Default)]
pub struct AttemptOutcome<'a> {
    pub status: &'a str,
    pub provider_ref: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub decline_code: Option<&'a str>,
    pub error: Option<&'a str>,
}

impl<'a> AttemptOutcome<'a> {
    /// The provider's answer was lost: it may or may not have acted.
    pub fn unknown() -> Self {
        Self {
            status: "unknown",
            ..Self::default()
        }
    }

    /// Nothing happened at the provider, for this reason.
    pub fn failed(error: &'a str) -> Self {
        Self {
            status: "failed",
            error: Some(error),
            ..Self::default()
        }
    }
}

pub async fn set_attempt(tx: &mut Tx, id: Uuid, o: &AttemptOutcome<'_>) -> Result<()> {
    sqlx::query(
        "update payment_attempts set status = $2, provider_ref = coalesce($3, provider_ref), \
                card_brand = coalesce($4, card_brand), last4 = coalesce($5, last4), \
                decline_code = coalesce($6, decline_code), error = coalesce($7, error), \
                updated_at = now() \
         where id = $1",
    )
    .bind(id)
    .bind(o.status)
    .bind(o.provider_ref)
    .bind(o.card_brand)
    .bind(o.last4)
    .bind(o.decline_code)
    .bind(o.error.map(|e| e.chars().take(500).collect::<String>()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub struct CardPayment<'a> {
    pub id: Uuid,
    /// `card` or `online`.
    pub method: &'a str,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub provider: &'a str,
    pub provider_ref: &'a str,
    pub terminal_id: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub taken_by: Uuid,
}

pub async fn insert_card_payment(tx: &mut Tx, p: &CardPayment<'_>) -> Result<()> {
    sqlx::query(
        "insert into payments (id, tenant_id, branch_id, order_id, method, status, amount, \
                               taken_by, provider, provider_ref, terminal_id, card_brand, last4) \
         values ($1, $2, $3, $4, $12, 'captured', $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(p.id)
    .bind(p.tenant_id)
    .bind(p.branch_id)
    .bind(p.order_id)
    .bind(p.amount)
    .bind(p.taken_by)
    .bind(p.provider)
    .bind(p.provider_ref)
    .bind(p.terminal_id)
    .bind(p.card_brand)
    .bind(p.last4)
    .bind(p.method)
    .execute(&mut **tx)
    .await?;
    sqlx::query("update orders set paid = paid + $2, updated_at = now() where id = $1")
        .bind(p.order_id)
        .bind(p.amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The order's payments with something left to give back, by method.
pub async fn payments_left(tx: &mut Tx, order_id: Uuid) -> Result<Vec<PaymentRef>> {
    Ok(sqlx::query_as(
        "select id, method, amount, refunded, provider, provider_ref from payments \
         where order_id = $1 and amount > refunded order by created_at, id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?)
}

// ---- settlements ------------------------------------------------------------------------------

const SETTLEMENT_COLS: &str =
    "id, branch_id, method, reference, gross, fees, net, settled_on, created_at";

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
    tenant_id: Uuid,
    branch_id: Uuid,
    id: Uuid,
    s: &NewSettlement,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "insert into settlements (id, tenant_id, branch_id, method, reference, gross, fees, \
                                  settled_on, created_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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

// ---- timing -------------------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_numbered_in_its_head_only() {
        let (day, number) = UNCLAIMED;
        let unclaimed = format!(
            "{}\"id\":\"x\",\"number\":0}}",
            answer_head(day, number).unwrap()
        );
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let answer = numbered_answer(&unclaimed, today, 42).unwrap();
        assert_eq!(
            answer,
            r#"{"number":42,"businessDate":"2026-11-26","id":"x","number":0}"#
        );
        // A failed batch's rows are claimed again one by one: numbered again.
        assert_eq!(
            numbered_answer(&answer, today, 43).unwrap(),
            r#"{"number":43,"businessDate":"2026-11-26","id":"x","number":0}"#
        );
        assert!(numbered_answer(r#"{"id":"x","number":1}"#, today, 44).is_err());
    }

    #[test]
    fn an_order_dto_starts_with_its_head() {
        let json = serde_json::json!({
            "number": 7, "businessDate": "2026-11-26",
            "id": Uuid::nil(), "branchId": Uuid::nil(), "channel": "pos", "type": "takeaway",
            "status": "placed", "table": null, "clientRef": null, "scheduledFor": null,
            "notes": null, "currency": "SAR", "lines": [],
            "totals": {
                "tip": 0, "vat": 0, "total": 0, "taxable": 0, "itemsNet": 0, "netOfVat": 0,
                "vatRateBp": 1500, "itemsGross": 0, "deliveryFee": 0, "invoiceTotal": 0,
                "vatInclusive": true, "discountTotal": 0, "lineDiscounts": 0,
                "serviceCharge": 0, "deliveryFeeVat": 0, "orderDiscounts": 0,
                "serviceChargeVat": 0
            },
            "total": 0, "vat": 0, "tip": 0, "paid": 0, "refunded": 0, "due": 0,
            "payments": [], "createdAt": "2026-11-26T10:00:00Z"
        });
        let dto: OrderDto = serde_json::from_value(json).unwrap();
        let text = serde_json::to_string(&dto).unwrap();
        let head = answer_head(dto.business_date, dto.number).unwrap();
        assert!(text.starts_with(&head), "{text}");
    }
}
