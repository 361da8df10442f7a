//! The rows of the group commit ([`platform::group_commit`]): checkouts written together by
//! `order_place_batch`, their order numbers claimed for the whole batch first, and the answers
//! that carry those numbers.

use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;

use platform::{
    db::Db,
    error::Result,
    group_commit::{Batched, Row},
};
use serde::Serialize;
use uuid::Uuid;

use super::repo::{Done, claim_run};
use crate::{
    lifecycle::{Channel, OrderType},
    pricing::Pricing,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::model::OrderDto;

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
