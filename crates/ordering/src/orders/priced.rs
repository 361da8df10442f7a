//! Pricing an order as it will be written: its lines priced from the menu, its cash tender
//! checked, and the order row, its journal entries and its answer built from them.

use catalog::menu::{BranchMenu, SelectionError};
use chrono::{NaiveDate, SubsecRound, Utc};
use ledger::{self, NewEntry};
use platform::{
    auth::Principal,
    error::{Error, Result},
};
use uuid::Uuid;

use super::{
    group,
    model::{DiscountRequest, OrderDto, OrderLine, PaymentDto, PaymentRequest, PlaceOrder},
};
use crate::{
    lifecycle::{Channel, Status},
    policy::kind_of,
    postings,
    pricing::{self, Discount, LineInput, Pricing, PricingInput},
};

/// A priced order as it is written: the row, the cash taken with it, its journal entries and
/// the answer, serialised.
pub(crate) struct WriteUp<'a> {
    pub(crate) order: group::NewOrder<'a>,
    pub(crate) cash: Option<group::CashWithOrder>,
    pub(crate) entries: Vec<serde_json::Value>,
    pub(crate) body: String,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_up<'a>(
    who: &Principal,
    req: &'a PlaceOrder,
    menu: &'a BranchMenu,
    channel: Channel,
    (business_date, number): (NaiveDate, i32),
    lines: &[group::NewLine],
    pricing: &'a Pricing,
    tender: Option<CashTender>,
) -> Result<WriteUp<'a>> {
    let order = group::NewOrder {
        id: Uuid::now_v7(),
        tenant_id: who.tenant_id,
        branch_id: req.branch_id,
        business_date,
        number,
        channel,
        order_type: req.order_type,
        table: req.table.as_deref(),
        placed_by: who.id,
        placed_by_kind: kind_of(who),
        client_ref: req.client_ref,
        scheduled_for: req.scheduled_for,
        notes: req.notes.as_deref(),
        contact_phone: req.contact_phone.as_deref(),
        // The currency the menu's prices are in.
        currency: &menu.currency,
        pricing,
        total: pricing.totals.total,
        vat: pricing.totals.vat,
        tip: pricing.totals.tip,
        paid: 0,
        created_at: Utc::now().trunc_subsecs(6),
    };
    let mut entries = Vec::with_capacity(2);
    entries.extend(
        ledger::entry(&NewEntry {
            tenant_id: who.tenant_id,
            branch_id: req.branch_id,
            kind: "sale",
            reference_type: "order",
            reference_id: order.id,
            memo: None,
            created_by: Some(who.id),
            currency: &menu.currency,
            postings: postings::sale(&pricing.totals),
        })?
        .map(|(_, entry)| entry),
    );
    let cash = match tender {
        Some(tender) => {
            let cash = group::CashWithOrder {
                id: Uuid::now_v7(),
                method: "cash",
                status: "captured",
                amount: tender.amount,
                tendered: tender.tendered,
                change_given: tender.tendered - tender.amount,
                taken_by: who.id,
                device_id: who.device_id,
            };
            entries.extend(
                ledger::entry(&postings::cash_payment(
                    who,
                    req.branch_id,
                    cash.id,
                    cash.amount,
                    &menu.currency,
                ))?
                .map(|(_, entry)| entry),
            );
            Some(cash)
        }
        None => None,
    };
    let order = group::NewOrder {
        paid: cash.as_ref().map_or(0, |c| c.amount),
        ..order
    };
    let body = serde_json::to_string(&placed(&order, lines, cash.as_ref()))
        .map_err(anyhow::Error::from)?;
    Ok(WriteUp {
        order,
        cash,
        entries,
        body,
    })
}

/// The order just placed, as `GET /api/orders/{id}` will show it — built from what was written
/// rather than read back.
fn placed(
    o: &group::NewOrder<'_>,
    lines: &[group::NewLine],
    cash: Option<&group::CashWithOrder>,
) -> OrderDto {
    OrderDto {
        id: o.id,
        branch_id: o.branch_id,
        number: o.number,
        business_date: o.business_date,
        channel: o.channel,
        order_type: o.order_type,
        status: Status::Placed,
        table: o.table.map(str::to_owned),
        client_ref: o.client_ref,
        scheduled_for: o.scheduled_for,
        notes: o.notes.map(str::to_owned),
        contact_phone: o.contact_phone.map(str::to_owned),
        currency: o.currency.to_owned(),
        lines: lines
            .iter()
            .zip(&o.pricing.lines)
            .map(|(l, p)| OrderLine {
                id: l.id,
                product_id: l.product_id,
                product_kind: l.product_kind.to_owned(),
                name: l.name.clone(),
                name_ar: l.name_ar.clone(),
                selection: l.selection.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                gross: p.gross,
                discount: p.discount,
                net: p.net,
                vat: p.vat,
                notes: l.notes.clone(),
                seat: l.seat,
                course: l.course,
                voided: None,
            })
            .collect(),
        totals: o.pricing.totals.clone(),
        total: o.total,
        vat: o.vat,
        tip: o.tip,
        paid: o.paid,
        refunded: 0,
        due: o.total - o.paid,
        payments: cash
            .map(|c| PaymentDto {
                id: c.id,
                method: c.method.to_owned(),
                status: c.status.to_owned(),
                amount: c.amount,
                tendered: Some(c.tendered),
                change_given: Some(c.change_given),
                refunded: 0,
                terminal_id: None,
                card_brand: None,
                last4: None,
                created_at: o.created_at,
            })
            .into_iter()
            .collect(),
        created_at: o.created_at,
    }
}

/// What the branch adds to an order's items.
#[derive(Clone, Copy)]
pub(crate) struct Charges {
    pub(crate) service_charge_bp: u32,
    pub(crate) delivery_fee: i64,
}

/// Prices every line from the menu, then the order; a line that cannot be ordered as asked is
/// a 422 naming it.
pub(crate) fn price_lines(
    menu: &BranchMenu,
    req: &PlaceOrder,
    charges: Charges,
    promo: Option<Discount>,
) -> Result<(Vec<group::NewLine>, Pricing)> {
    let mut lines = Vec::with_capacity(req.lines.len());
    let mut inputs = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let unit = menu
            .price(l.product_id, &l.selection)
            .map_err(|e: SelectionError| Error::invalid(&format!("lines[{i}]"), e.to_string()))?;
        let (name, name_ar, kind) = menu
            .product_names(l.product_id)
            .ok_or_else(|| Error::invalid(&format!("lines[{i}]"), "not on this menu"))?;
        lines.push(group::NewLine {
            id: Uuid::now_v7(),
            position: i as i32,
            product_id: l.product_id,
            product_kind: kind,
            name,
            name_ar,
            selection: serde_json::to_value(menu.describe(l.product_id, &l.selection))
                .map_err(anyhow::Error::from)?,
            quantity: l.quantity as i32,
            unit_price: unit.total,
            notes: l.notes.clone(),
            seat: l.seat,
            course: l.course,
        });
        inputs.push(LineInput {
            unit_price: unit.total,
            quantity: l.quantity,
            discounts: l
                .discounts
                .iter()
                .map(|d| discount(d).map_err(|_| both_or_neither(&format!("lines[{i}].discounts"))))
                .collect::<Result<_>>()?,
        });
    }
    let pricing = pricing::price(&PricingInput {
        lines: inputs,
        order_discounts: req
            .discounts
            .iter()
            .map(discount)
            .chain(promo.map(Ok))
            .collect::<Result<_>>()?,
        service_charge_bp: charges.service_charge_bp,
        delivery_fee: charges.delivery_fee,
        tip: req.tip,
        vat_rate_bp: menu.vat_rate_bp.max(0) as u32,
        vat_inclusive: menu.vat_inclusive,
    })
    .map_err(|e| Error::invalid("body", e.to_string()))?;
    Ok((lines, pricing))
}

fn discount(d: &DiscountRequest) -> Result<Discount> {
    let value = match (d.percent_bp, d.amount) {
        (Some(bp), None) => Discount::percent(bp),
        (None, Some(amount)) => Discount::fixed(amount),
        _ => return Err(both_or_neither("discounts")),
    };
    Ok(value.labelled(d.label.clone()))
}

fn both_or_neither(field: &str) -> Error {
    Error::invalid(field, "give percentBp or amount, not both")
}

/// What a cash tender takes: the amount (all that is due unless less is given) and what the
/// guest handed over.
pub struct CashTender {
    pub amount: i64,
    pub tendered: i64,
}

pub fn cash_tender(payment: &PaymentRequest, due: i64) -> Result<CashTender> {
    if payment.method != super::model::Method::Cash || payment.terminal_id.is_some() {
        return Err(Error::invalid(
            "payment.method",
            "only cash is taken with the order; take a card with POST /api/orders/{id}/payments",
        ));
    }
    let amount = payment.amount.unwrap_or(due);
    if amount > due {
        return Err(Error::invalid(
            "payment.amount",
            format!("only {due} is due"),
        ));
    }
    if amount == 0 {
        return Err(Error::conflict("nothing_due", "the order is paid"));
    }
    let tendered = payment.tendered.unwrap_or(amount);
    if tendered < amount {
        return Err(Error::invalid("payment.tendered", "must cover the amount"));
    }
    Ok(CashTender { amount, tendered })
}
