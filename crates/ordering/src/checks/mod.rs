//! Merging and splitting checks at the table (staff only).
//!
//! Order lines are never updated, and an order's lines, pricing and sale entry belong together,
//! so a check is split or merged by **replacing** orders: the old orders end with the final
//! status `split` or `merged` (their sale reversed in the books), and new orders — the new
//! checks — carry copies of their lines, numbered as the day's next orders and linked in
//! `order_links`. Each copied line keeps its unit price, quantity and exact net (its share of
//! the old discounts becomes a fixed discount on the line), so the items of the new checks sum
//! to the old ones to the halala. The old service charges, delivery fees and tips are divided
//! over the new checks in proportion to their items (largest remainder), and each new check's
//! VAT is computed once on its own invoice, as every invoice's is (docs/ordering.md §4).
//!
//! Only unpaid dine-in checks are split or merged, and only while the kitchen does not hold
//! them (`placed`: it has not received them; `served`: it is done): the kitchen's tickets
//! belong to one order, and money already taken belongs to the order it was taken for.
//!
//! An **equal split** does not replace the order: it divides the one check's total into N
//! payment shares (the halalas that do not divide go one each to the first shares), each paid
//! like any payment; the invoice, the kitchen and the books stay as they are.

mod as_sold;
pub mod model;
pub mod repo;
pub mod routes;

pub(crate) use as_sold::price_as_sold;

use chrono::{SubsecRound, Utc};
use ledger::{self, NewEntry};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::Tx,
    error::{Error, Result},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    lifecycle::{OrderType, Status},
    orders::{
        group::{NewLine, NewOrder, batch_row},
        repo::{self as orders, OrderRow},
        tenders::Tenders,
    },
    policy,
    postings::{self, sale_reversal},
    pricing::{self, Pricing},
};
use model::{CheckView, ChecksAnswer, MergeRequest, Share, SplitMode, SplitRequest};
use repo::SoldLine;

/// The shares of a check: `amounts` filled in order by what was paid.
pub fn fill_shares(amounts: &[i64], paid: i64) -> Vec<Share> {
    let mut left = paid;
    amounts
        .iter()
        .enumerate()
        .map(|(i, &amount)| {
            let paid = left.clamp(0, amount);
            left -= paid;
            Share {
                position: i as i32 + 1,
                amount,
                paid,
                due: amount - paid,
            }
        })
        .collect()
}

/// Equal shares of `total`: the halalas that do not divide go one each to the first shares.
pub fn equal_shares(total: i64, parts: u32) -> Vec<i64> {
    pricing::allocate(total, &vec![1; parts as usize])
}

/// How old checks are replaced by new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Replacement {
    Split,
    Merge,
}

impl Replacement {
    /// `order_links.kind`.
    fn link(self) -> &'static str {
        match self {
            Replacement::Split => "split",
            Replacement::Merge => "merge",
        }
    }

    /// The old checks' final status, which is also their reversal's entry kind.
    fn ended(self) -> Status {
        match self {
            Replacement::Split => Status::Split,
            Replacement::Merge => Status::Merged,
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Replacement::Split => "order.split",
            Replacement::Merge => "order.merged",
        }
    }
}

/// Staff at the till (owner, manager, cashier, waiter) with scope on the branch.
fn require_till(who: &Principal, branch_id: Uuid) -> Result<()> {
    policy::require_staff_of(who, branch_id)?;
    policy::channel_of(who).map(|_| ())
}

/// The order locked, checked to be a check that may be split or merged.
async fn open_check(
    tx: &mut Tx,
    tenders: &dyn Tenders,
    who: &Principal,
    id: Uuid,
) -> Result<OrderRow> {
    let order = orders::order(tx, id, true).await?;
    require_till(who, order.branch_id)?;
    if order.order_type != OrderType::DineIn {
        return Err(Error::conflict(
            "not_at_a_table",
            "only dine-in checks are split or merged",
        ));
    }
    if order.status.is_final() {
        return Err(Error::conflict(
            "order_ended",
            format!("the order is {}", order.status.as_str()),
        ));
    }
    if !matches!(order.status, Status::Placed | Status::Served) {
        return Err(Error::conflict(
            "in_the_kitchen",
            "the kitchen has this order: split or merge it before it is accepted or once it is \
             served",
        ));
    }
    if order.paid > 0 {
        return Err(Error::conflict(
            "paid",
            "money was taken for this check: split the payment with an equal split, or refund \
             first",
        ));
    }
    if tenders.open_attempts(tx, order.id).await? > 0 {
        return Err(Error::conflict(
            "payment_in_progress",
            "a card or online payment of this check is still open",
        ));
    }
    Ok(order)
}

/// `POST /api/orders/{id}/split`.
pub async fn split(
    state: &AppState,
    tenders: &dyn Tenders,
    who: &Principal,
    order_id: Uuid,
    req: &SplitRequest,
) -> Result<ChecksAnswer> {
    if req.mode == SplitMode::Equal {
        return split_equally(state, who, order_id, req).await;
    }
    if req.parts.is_some() {
        return Err(Error::invalid("parts", "only an equal split has parts"));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    let order = open_check(&mut tx, tenders, who, order_id).await?;
    let lines = repo::sold_lines(&mut tx, order.id).await?;
    let groups = match req.mode {
        SplitMode::Items => {
            let chosen = req
                .lines
                .as_ref()
                .ok_or_else(|| Error::invalid("lines", "name the lines for the new check"))?;
            by_items(&lines, chosen)?
        }
        SplitMode::Seats => {
            if req.lines.is_some() {
                return Err(Error::invalid("lines", "a split by seat takes no lines"));
            }
            by_seats(&lines)?
        }
        SplitMode::Equal => unreachable!("handled above"),
    };
    let checks = replace(state, &mut tx, who, &[order], groups, Replacement::Split).await?;
    tx.commit().await?;
    state.db.announce_events().await;
    Ok(checks)
}

/// The chosen lines to one check, the rest to another.
fn by_items(lines: &[SoldLine], chosen: &[Uuid]) -> Result<Vec<Vec<SoldLine>>> {
    for (i, id) in chosen.iter().enumerate() {
        if !lines.iter().any(|l| l.id == *id) {
            return Err(Error::invalid(
                &format!("lines[{i}]"),
                "not a line of this order",
            ));
        }
        if chosen[..i].contains(id) {
            return Err(Error::invalid(&format!("lines[{i}]"), "named twice"));
        }
    }
    let (moved, stay): (Vec<_>, Vec<_>) =
        lines.iter().cloned().partition(|l| chosen.contains(&l.id));
    if stay.is_empty() {
        return Err(Error::invalid(
            "lines",
            "leave at least one line on the check: these are all its lines",
        ));
    }
    Ok(vec![stay, moved])
}

/// One check per seat, lines without a seat first.
fn by_seats(lines: &[SoldLine]) -> Result<Vec<Vec<SoldLine>>> {
    let mut seats: Vec<Option<i32>> = lines.iter().map(|l| l.seat).collect();
    seats.sort();
    seats.dedup();
    if seats.len() < 2 {
        return Err(Error::conflict(
            "one_seat",
            "every line of this check is on the same seat: nothing to split by seat",
        ));
    }
    Ok(seats
        .into_iter()
        .map(|s| lines.iter().filter(|l| l.seat == s).cloned().collect())
        .collect())
}

/// `POST /api/orders/{id}/merge`: both checks end as `merged`, and one new check carries the
/// lines of this one, then the other's.
pub async fn merge(
    state: &AppState,
    tenders: &dyn Tenders,
    who: &Principal,
    order_id: Uuid,
    req: &MergeRequest,
) -> Result<ChecksAnswer> {
    if req.order_id == order_id {
        return Err(Error::invalid(
            "orderId",
            "a check cannot be merged with itself",
        ));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    // Locked in id order, so two merges of the same pair the other way round cannot deadlock.
    let (first, second) = if order_id < req.order_id {
        (order_id, req.order_id)
    } else {
        (req.order_id, order_id)
    };
    let a = open_check(&mut tx, tenders, who, first).await?;
    let b = open_check(&mut tx, tenders, who, second).await?;
    let (this, other) = if a.id == order_id { (a, b) } else { (b, a) };
    if this.branch_id != other.branch_id {
        return Err(Error::conflict(
            "other_branch",
            "the checks are at different branches",
        ));
    }
    if this.status != other.status {
        return Err(Error::conflict(
            "statuses_differ",
            "merge checks that are both placed or both served",
        ));
    }
    let mut lines = repo::sold_lines(&mut tx, this.id).await?;
    lines.extend(repo::sold_lines(&mut tx, other.id).await?);
    let checks = replace(
        state,
        &mut tx,
        who,
        &[this, other],
        vec![lines],
        Replacement::Merge,
    )
    .await?;
    tx.commit().await?;
    state.db.announce_events().await;
    Ok(checks)
}

/// Ends `old` and places one new check per group of their lines, with the books moved along.
async fn replace(
    state: &AppState,
    tx: &mut Tx,
    who: &Principal,
    old: &[OrderRow],
    groups: Vec<Vec<SoldLine>>,
    how: Replacement,
) -> Result<ChecksAnswer> {
    let first = &old[0];
    let totals = &first.pricing.0.totals;
    let (vat_rate_bp, vat_inclusive) = (totals.vat_rate_bp, totals.vat_inclusive);
    let sum = |f: fn(&pricing::Totals) -> i64| -> i64 {
        old.iter().map(|o| f(&o.pricing.0.totals)).sum()
    };
    // The new checks' shares of what is not an item, in proportion to their items (all to the
    // first check when every item was given away).
    let mut weights: Vec<i64> = groups
        .iter()
        .map(|g| g.iter().map(|l| l.net).sum())
        .collect();
    if weights.iter().all(|w| *w == 0) {
        weights[0] = 1;
    }
    let service = pricing::allocate(sum(|t| t.service_charge), &weights);
    let delivery = pricing::allocate(sum(|t| t.delivery_fee), &weights);
    let tips = pricing::allocate(sum(|t| t.tip), &weights);
    let numbers = old
        .iter()
        .map(|o| o.number.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut priced = Vec::with_capacity(groups.len());
    for (i, group) in groups.iter().enumerate() {
        priced.push(price_as_sold(
            group,
            service[i],
            delivery[i],
            tips[i],
            (vat_rate_bp, vat_inclusive),
        )?);
    }

    // Who the new checks belong to: whoever placed the old ones, or the staff member who
    // merged the checks of different people.
    let same_placer = old.iter().all(|o| o.placed_by == first.placed_by);
    let (placed_by, placed_by_kind, channel) = if same_placer {
        (
            first.placed_by,
            first.placed_by_kind.as_str(),
            first.channel,
        )
    } else {
        (who.id, "staff", crate::lifecycle::Channel::Pos)
    };
    let ended_status = how.ended();
    let mut new_ids = Vec::with_capacity(groups.len());
    let mut new_numbers = Vec::with_capacity(groups.len());
    for (group, pricing) in groups.iter().zip(&priced) {
        let id = Uuid::now_v7();
        // The day's next number, and the branch's business day with it.
        let (business_date, number) =
            orders::claim_number(&state.db, who.tenant_id, first.branch_id).await?;
        let memo = format!("{} of order {numbers}", how.link());
        let sale = ledger::entry(&NewEntry {
            tenant_id: who.tenant_id,
            branch_id: first.branch_id,
            kind: "sale",
            reference_type: "order",
            reference_id: id,
            memo: Some(&memo),
            created_by: Some(who.id),
            currency: &first.currency,
            postings: postings::sale(&pricing.totals),
        })?
        .map(|(_, entry)| entry);
        insert_check(
            tx,
            who,
            first,
            (id, number, business_date),
            (placed_by, placed_by_kind, channel),
            group,
            pricing,
            sale,
        )
        .await?;
        new_ids.push(id);
        new_numbers.push(number);
    }
    let reason = format!(
        "{} into order {}",
        ended_status.as_str(),
        new_numbers
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for o in old {
        ledger::post(
            tx,
            NewEntry {
                tenant_id: who.tenant_id,
                branch_id: o.branch_id,
                kind: ended_status.as_str(),
                reference_type: "order",
                reference_id: o.id,
                memo: Some(&reason),
                created_by: Some(who.id),
                currency: &o.currency,
                postings: sale_reversal(&o.pricing.0.totals),
            },
        )
        .await?;
        orders::set_status(tx, o.id, ended_status, Some(&reason)).await?;
        orders::history(
            tx,
            who.tenant_id,
            o.id,
            Some(o.status),
            ended_status,
            Some(&reason),
            Some(who.id),
        )
        .await?;
        for to in &new_ids {
            repo::insert_link(tx, who.tenant_id, o.id, *to, how.link(), who.id).await?;
        }
    }
    platform::audit::record(
        tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: how.audit_action(),
            entity: "order",
            entity_id: Some(first.id),
            before: Some(
                json!({ "orders": old.iter().map(|o| o.id).collect::<Vec<_>>(),
                                 "total": old.iter().map(|o| o.total).sum::<i64>() }),
            ),
            after: Some(json!({ "orders": new_ids,
                                "total": priced.iter().map(|p| p.totals.total).sum::<i64>() })),
        },
    )
    .await?;
    let mut checks = Vec::with_capacity(new_ids.len());
    for id in &new_ids {
        let row = orders::order(tx, *id, false).await?;
        checks.push(orders::order_dto(tx, row).await?);
    }
    Ok(ChecksAnswer {
        ended: old.iter().map(|o| o.id).collect(),
        checks,
        shares: vec![],
    })
}

/// One new check: the order row, its copied lines, and the status the old check had.
#[allow(clippy::too_many_arguments)]
async fn insert_check(
    tx: &mut Tx,
    who: &Principal,
    from: &OrderRow,
    (id, number, business_date): (Uuid, i32, chrono::NaiveDate),
    (placed_by, placed_by_kind, channel): (Uuid, &str, crate::lifecycle::Channel),
    group: &[SoldLine],
    pricing: &Pricing,
    sale: Option<serde_json::Value>,
) -> Result<()> {
    let lines: Vec<NewLine> = group
        .iter()
        .enumerate()
        .map(|(position, l)| NewLine {
            id: Uuid::now_v7(),
            position: position as i32,
            product_id: l.product_id,
            product_kind: if l.product_kind == "combo" {
                "combo"
            } else {
                "item"
            },
            name: l.name.clone(),
            name_ar: l.name_ar.clone(),
            selection: l.selection.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            notes: l.notes.clone(),
            seat: l.seat,
            course: l.course,
        })
        .collect();
    let check = NewOrder {
        id,
        tenant_id: who.tenant_id,
        branch_id: from.branch_id,
        business_date,
        number,
        channel,
        order_type: from.order_type,
        table: from.table_ref.as_deref(),
        placed_by,
        placed_by_kind,
        client_ref: None,
        scheduled_for: from.scheduled_for,
        notes: from.notes.as_deref(),
        contact_phone: from.contact_phone.as_deref(),
        currency: &from.currency,
        pricing,
        total: pricing.totals.total,
        vat: pricing.totals.vat,
        tip: pricing.totals.tip,
        paid: 0,
        created_at: Utc::now().trunc_subsecs(6),
    };
    // A split or merge takes no idempotency key: no answer is stored.
    let row = batch_row(&check, &lines, None, Vec::from_iter(sale), None)?;
    orders::place_orders(tx, &[row]).await?;
    // A served check stays served: the kitchen is done with its lines (placing it as `placed`
    // and stepping it on would send them to the kitchen again).
    if from.status != Status::Placed {
        let reason = format!("carried over from order {}", from.number);
        orders::set_status(tx, id, from.status, Some(&reason)).await?;
        orders::history(
            tx,
            who.tenant_id,
            id,
            Some(Status::Placed),
            from.status,
            Some(&reason),
            Some(who.id),
        )
        .await?;
    }
    Ok(())
}

/// An equal split: `parts` shares of the check's total, replacing any earlier shares.
async fn split_equally(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    req: &SplitRequest,
) -> Result<ChecksAnswer> {
    if req.lines.is_some() {
        return Err(Error::invalid("lines", "an equal split takes no lines"));
    }
    let parts = req
        .parts
        .ok_or_else(|| Error::invalid("parts", "say how many shares (2–20)"))?;
    let mut tx = state.db.begin(who.scope()).await?;
    let order = orders::order(&mut tx, order_id, true).await?;
    require_till(who, order.branch_id)?;
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            format!("the order is {}", order.status.as_str()),
        ));
    }
    if order.paid >= order.total {
        return Err(Error::conflict("nothing_due", "the check is paid"));
    }
    let amounts = equal_shares(order.total, parts);
    repo::replace_shares(&mut tx, who.tenant_id, order.id, &amounts, who.id).await?;
    let shares = fill_shares(&amounts, order.paid);
    let row = orders::order(&mut tx, order.id, false).await?;
    let dto = orders::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(ChecksAnswer {
        ended: vec![],
        checks: vec![dto],
        shares,
    })
}

/// `GET /api/orders/{id}/check`: the branch's staff.
pub async fn view(state: &AppState, who: &Principal, order_id: Uuid) -> Result<CheckView> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = orders::order(&mut tx, order_id, false).await?;
    if who.kind != PrincipalKind::Staff || !who.can_access_branch(order.branch_id) {
        return Err(Error::NotFound);
    }
    let links = repo::links(&mut tx, order.id).await?;
    let amounts = repo::shares(&mut tx, order.id).await?;
    tx.commit().await?;
    Ok(CheckView {
        links,
        shares: fill_shares(&amounts, order.paid),
    })
}

#[cfg(test)]
mod tests;
