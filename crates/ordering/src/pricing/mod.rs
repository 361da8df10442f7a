//! Order pricing: from cart lines and adjustments to totals, VAT and per-line receipt figures.
//!
//! [`price`] is a pure function. Every amount is an integer number of minor units (halalas for
//! SAR); intermediate products are computed in `i128`, so nothing overflows before the limits
//! below are checked. The same input always yields the same output, to the halala, which is what
//! lets the stored order, the receipt and the payment agree.
//!
//! # Rules
//!
//! 1. **Line gross** = `unit_price × quantity`. The unit price comes from the catalog and already
//!    includes modifiers and combo upcharges. Quantity is 1..=999.
//! 2. **Line discounts** apply to their line, in the order given, each to what is left of the
//!    line after the previous ones. A percent discount takes `round_half_up(left × bp / 10000)`;
//!    a fixed discount takes `min(amount, left)`. A line therefore never goes below zero.
//! 3. **Order discounts** apply, in the order given and by the same two rules, to the item
//!    subtotal after line discounts. Their sum is then allocated across the lines in proportion
//!    to each line's amount after line discounts, by the largest-remainder method: every line
//!    gets the floor of its exact share, and the halalas left over go one each to the lines with
//!    the largest remainders (ties to the earlier line). Allocations sum exactly to the order
//!    discount and no line receives more than it has, so every line knows its **net**.
//! 4. **Items net** = items gross − line discounts − order discounts, never negative. Discounts
//!    never exceed what they apply to, so the discount total never exceeds items gross.
//! 5. **Service charge** = `round_half_up(items_net × service_charge_bp / 10000)`.
//! 6. **Taxable** = items net + service charge + delivery fee. Service charge and delivery fee
//!    bear VAT; the tip bears no VAT and is never discounted.
//! 7. **VAT is computed once per invoice**, not per line, so the VAT on the receipt is exactly the
//!    rate applied to the invoice and per-line rounding cannot drift it:
//!    - VAT added on top (exclusive): `vat = round_half_up(taxable × rate_bp / 10000)`,
//!      `net_of_vat = taxable`, `invoice_total = taxable + vat`.
//!    - Prices include VAT (inclusive, as in KSA retail):
//!      `vat = round_half_up(taxable × rate_bp / (10000 + rate_bp))`,
//!      `net_of_vat = taxable − vat`, `invoice_total = taxable`.
//!
//!    `invoice_total` is the amount including VAT that the tax invoice (and its ZATCA QR) shows;
//!    the customer pays `total = invoice_total + tip`.
//! 8. The invoice VAT is then allocated back, by largest remainder in proportion to the taxable
//!    amounts, over the item lines, the service charge and the delivery fee, so the receipt can
//!    print a VAT figure per line: `Σ line.vat + service_charge_vat + delivery_fee_vat = vat`
//!    exactly (and `Σ line.vat = vat` when there is neither service charge nor delivery fee).
//!
//! Rounding is half-up; every rounded quantity is non-negative, so half-up and
//! half-away-from-zero coincide.
//!
//! # Invariants of a [`Pricing`]
//!
//! - `total ≥ 0`, and every figure is non-negative;
//! - `net_of_vat + vat = invoice_total` and `invoice_total + tip = total`;
//! - inclusive: `invoice_total = taxable`, so `net_of_vat + vat = taxable`;
//!   exclusive: `net_of_vat = taxable`, so `invoice_total = taxable + vat`;
//! - `Σ line.net = items_net` and `items_gross − discount_total = items_net`;
//! - `discount_total = line_discounts + order_discounts ≤ items_gross`;
//! - `Σ line.vat + service_charge_vat + delivery_fee_vat = vat`.
//!
//! # Limits
//!
//! Input that is malformed or absurd is refused with a [`PricingError`] rather than clamped:
//! quantities outside 1..=999, negative prices, fees or tips, percents outside their ranges,
//! non-positive fixed discounts, and any amount — unit price, fixed discount, line gross, items
//! gross, delivery fee, tip or total — above [`MAX_AMOUNT`] (10^12 minor units).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest amount, in minor units, that any input or total may reach (10 billion SAR). Far above
/// any real order, and low enough that sums of a few such amounts stay far from `i64::MAX`.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// Largest quantity of one line; larger numbers are typing mistakes, not orders.
pub const MAX_QUANTITY: u32 = 999;

const BP_DENOMINATOR: i128 = 10_000;

/// What an order is priced from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricingInput {
    pub lines: Vec<LineInput>,
    /// Applied to the item subtotal after line discounts, in this order.
    #[serde(default)]
    pub order_discounts: Vec<Discount>,
    /// Service charge in basis points of the discounted item subtotal (0..=10000).
    #[serde(default)]
    pub service_charge_bp: u32,
    /// Minor units, VAT-able, never discounted.
    #[serde(default)]
    pub delivery_fee: i64,
    /// Minor units, outside VAT and never discounted.
    #[serde(default)]
    pub tip: i64,
    /// VAT rate in basis points (1500 = 15 %), 0..=10000.
    pub vat_rate_bp: u32,
    /// True when prices already include VAT (KSA retail); false when VAT is added on top.
    pub vat_inclusive: bool,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineInput {
    /// Minor units per unit, modifiers and combo upcharges included.
    pub unit_price: i64,
    /// 1..=999.
    pub quantity: u32,
    /// Applied to this line only, in this order.
    #[serde(default)]
    pub discounts: Vec<Discount>,
}

/// A discount and the label or promo code the receipt shows for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    pub value: DiscountValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// How much a discount takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DiscountValue {
    /// Basis points of what the discount applies to (1..=10000), rounded half-up.
    Percent { bp: u32 },
    /// Minor units (> 0), capped at what the discount applies to.
    Fixed { amount: i64 },
}

impl Discount {
    pub fn percent(bp: u32) -> Self {
        Self {
            value: DiscountValue::Percent { bp },
            label: None,
        }
    }

    pub fn fixed(amount: i64) -> Self {
        Self {
            value: DiscountValue::Fixed { amount },
            label: None,
        }
    }

    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// A priced order. `lines` are in the order of the input lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub lines: Vec<PricedLine>,
    /// What each order discount actually took, in input order.
    pub applied_order_discounts: Vec<AppliedDiscount>,
    pub totals: Totals,
}

/// Receipt figures of one line; all minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricedLine {
    /// `unit_price × quantity`.
    pub gross: i64,
    /// Taken by this line's own discounts.
    pub line_discount: i64,
    /// This line's share of the order discounts.
    pub order_discount: i64,
    /// `line_discount + order_discount`.
    pub discount: i64,
    /// `gross − discount`: what the line contributes to the taxable amount.
    pub net: i64,
    /// This line's share of the invoice VAT (included in `net` when prices include VAT).
    pub vat: i64,
    /// What each of this line's discounts actually took, in input order.
    pub applied_discounts: Vec<AppliedDiscount>,
}

/// What one discount took once applied and capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedDiscount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub amount: i64,
}

/// Order totals; all minor units. See the module documentation for how they relate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub items_gross: i64,
    pub line_discounts: i64,
    pub order_discounts: i64,
    pub discount_total: i64,
    pub items_net: i64,
    pub service_charge: i64,
    pub delivery_fee: i64,
    pub taxable: i64,
    pub vat: i64,
    /// `taxable − vat` when prices include VAT, `taxable` otherwise.
    pub net_of_vat: i64,
    /// `net_of_vat + vat`: what the tax invoice and its QR show; excludes the tip.
    pub invoice_total: i64,
    pub tip: i64,
    /// `invoice_total + tip`: what the customer pays.
    pub total: i64,
    /// The service charge's share of `vat`.
    pub service_charge_vat: i64,
    /// The delivery fee's share of `vat`.
    pub delivery_fee_vat: i64,
    pub vat_rate_bp: u32,
    pub vat_inclusive: bool,
}

/// Where a refused discount was attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountScope {
    /// Index into `PricingInput::lines`.
    Line(usize),
    Order,
}

impl fmt::Display for DiscountScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(i) => write!(f, "line {i}"),
            Self::Order => f.write_str("order"),
        }
    }
}

/// Why an input cannot be priced. Every variant is the caller's mistake (a 422), never ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("line {line}: quantity {quantity} is outside 1..={MAX_QUANTITY}")]
    Quantity { line: usize, quantity: u32 },
    #[error("line {line}: unit price {unit_price} is negative")]
    NegativeUnitPrice { line: usize, unit_price: i64 },
    #[error("{scope} discount: percent of {bp} bp is outside 1..=10000")]
    DiscountPercent { scope: DiscountScope, bp: u32 },
    #[error("{scope} discount: fixed amount {amount} must be positive")]
    DiscountFixed { scope: DiscountScope, amount: i64 },
    #[error("service charge of {bp} bp is outside 0..=10000")]
    ServiceCharge { bp: u32 },
    #[error("VAT rate of {bp} bp is outside 0..=10000")]
    VatRate { bp: u32 },
    #[error("{field} of {value} is negative")]
    Negative { field: &'static str, value: i64 },
    #[error("{what} exceeds {MAX_AMOUNT} minor units")]
    TooLarge { what: String },
}

/// Prices an order; see the module documentation for the rules.
pub fn price(input: &PricingInput) -> Result<Pricing, PricingError> {
    price_inner(input, None)
}

/// Prices a check made from lines of other checks (a split or a merge), whose service charge
/// is the share it carries of the old checks' service charges rather than its rate applied
/// again: the new checks' service charges then sum exactly to the old ones'. `input`'s
/// `service_charge_bp` is ignored; everything else follows the rules of [`price`], VAT
/// included (computed once on this check's own taxable amount).
pub fn price_with_service_charge(
    input: &PricingInput,
    service_charge: i64,
) -> Result<Pricing, PricingError> {
    if service_charge < 0 {
        return Err(PricingError::Negative {
            field: "service charge",
            value: service_charge,
        });
    }
    check_max(i128::from(service_charge), || "service charge".to_owned())?;
    price_inner(input, Some(service_charge))
}

fn price_inner(
    input: &PricingInput,
    fixed_service_charge: Option<i64>,
) -> Result<Pricing, PricingError> {
    validate_scalars(input)?;

    // Lines after their own discounts.
    let mut lines = Vec::with_capacity(input.lines.len());
    let mut items_gross: i128 = 0;
    for (i, line) in input.lines.iter().enumerate() {
        if line.quantity == 0 || line.quantity > MAX_QUANTITY {
            return Err(PricingError::Quantity {
                line: i,
                quantity: line.quantity,
            });
        }
        if line.unit_price < 0 {
            return Err(PricingError::NegativeUnitPrice {
                line: i,
                unit_price: line.unit_price,
            });
        }
        check_max(i128::from(line.unit_price), || {
            format!("line {i} unit price")
        })?;
        let gross = i128::from(line.unit_price) * i128::from(line.quantity);
        let gross = check_max(gross, || format!("line {i} gross"))?;
        items_gross += i128::from(gross);
        let (left, applied) = apply_discounts(gross, &line.discounts, DiscountScope::Line(i))?;
        lines.push((gross, left, applied));
    }
    let items_gross = check_max(items_gross, || "items gross".to_owned())?;
    // Each line is at most its gross, so this sum is bounded by items_gross.
    let subtotal: i64 = lines.iter().map(|(_, left, _)| left).sum();

    let (items_net, applied_order_discounts) =
        apply_discounts(subtotal, &input.order_discounts, DiscountScope::Order)?;
    let order_discounts = subtotal - items_net;
    let after_line: Vec<i64> = lines.iter().map(|(_, left, _)| *left).collect();
    let order_shares = allocate(order_discounts, &after_line);

    let service_charge = fixed_service_charge.unwrap_or_else(|| {
        to_i64(round_half_up(
            i128::from(items_net) * i128::from(input.service_charge_bp),
            BP_DENOMINATOR,
        ))
    });
    let taxable = items_net + service_charge + input.delivery_fee;
    let rate = i128::from(input.vat_rate_bp);
    let (vat, net_of_vat) = if input.vat_inclusive {
        let vat = to_i64(round_half_up(
            i128::from(taxable) * rate,
            BP_DENOMINATOR + rate,
        ));
        (vat, taxable - vat)
    } else {
        let vat = to_i64(round_half_up(i128::from(taxable) * rate, BP_DENOMINATOR));
        (vat, taxable)
    };
    let invoice_total = net_of_vat + vat;
    let total = invoice_total + input.tip;
    check_max(i128::from(total), || "total".to_owned())?;

    // VAT shares over [lines…, service charge, delivery fee], weighted by taxable amounts.
    let mut vat_weights: Vec<i64> = lines
        .iter()
        .zip(&order_shares)
        .map(|((_, left, _), share)| left - share)
        .collect();
    vat_weights.push(service_charge);
    vat_weights.push(input.delivery_fee);
    let vat_shares = allocate(vat, &vat_weights);

    let priced_lines = lines
        .into_iter()
        .zip(order_shares)
        .zip(&vat_shares)
        .map(|(((gross, left, applied), order_discount), &vat)| {
            let line_discount = gross - left;
            PricedLine {
                gross,
                line_discount,
                order_discount,
                discount: line_discount + order_discount,
                net: left - order_discount,
                vat,
                applied_discounts: applied,
            }
        })
        .collect();
    let line_discounts = items_gross - subtotal;
    let n = vat_shares.len();

    Ok(Pricing {
        lines: priced_lines,
        applied_order_discounts,
        totals: Totals {
            items_gross,
            line_discounts,
            order_discounts,
            discount_total: line_discounts + order_discounts,
            items_net,
            service_charge,
            delivery_fee: input.delivery_fee,
            taxable,
            vat,
            net_of_vat,
            invoice_total,
            tip: input.tip,
            total,
            service_charge_vat: vat_shares[n - 2],
            delivery_fee_vat: vat_shares[n - 1],
            vat_rate_bp: input.vat_rate_bp,
            vat_inclusive: input.vat_inclusive,
        },
    })
}

fn validate_scalars(input: &PricingInput) -> Result<(), PricingError> {
    if input.service_charge_bp > 10_000 {
        return Err(PricingError::ServiceCharge {
            bp: input.service_charge_bp,
        });
    }
    if input.vat_rate_bp > 10_000 {
        return Err(PricingError::VatRate {
            bp: input.vat_rate_bp,
        });
    }
    for (field, value) in [("delivery fee", input.delivery_fee), ("tip", input.tip)] {
        if value < 0 {
            return Err(PricingError::Negative { field, value });
        }
        check_max(i128::from(value), || field.to_owned())?;
    }
    Ok(())
}

/// Applies `discounts` in order to `base`, each to what the previous ones left; returns what is
/// left (never negative) and what each discount took.
fn apply_discounts(
    base: i64,
    discounts: &[Discount],
    scope: DiscountScope,
) -> Result<(i64, Vec<AppliedDiscount>), PricingError> {
    let mut left = base;
    let mut applied = Vec::with_capacity(discounts.len());
    for discount in discounts {
        let amount = match discount.value {
            DiscountValue::Percent { bp } => {
                if bp == 0 || bp > 10_000 {
                    return Err(PricingError::DiscountPercent { scope, bp });
                }
                // bp ≤ 10000, so the rounded amount never exceeds `left`.
                to_i64(round_half_up(
                    i128::from(left) * i128::from(bp),
                    BP_DENOMINATOR,
                ))
            }
            DiscountValue::Fixed { amount } => {
                if amount <= 0 {
                    return Err(PricingError::DiscountFixed { scope, amount });
                }
                check_max(i128::from(amount), || format!("{scope} fixed discount"))?;
                amount.min(left)
            }
        };
        left -= amount;
        applied.push(AppliedDiscount {
            label: discount.label.clone(),
            amount,
        });
    }
    Ok((left, applied))
}

/// Splits `total` across `weights` in proportion, by largest remainder: floors first, then one
/// unit each to the largest remainders, ties to the lower index. The result sums to `total`
/// exactly and, when `total ≤ Σ weights`, no share exceeds its weight. With all weights zero,
/// `total` must be zero (nothing to spread over) and all shares are zero.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    debug_assert!(total >= 0 && weights.iter().all(|w| *w >= 0));
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        debug_assert_eq!(total, 0, "cannot allocate over zero weights");
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let product = total * i128::from(*w);
        shares.push(to_i64(product / sum));
        remainders.push((product % sum, i));
    }
    let allocated: i128 = shares.iter().map(|s| i128::from(*s)).sum();
    let left_over = usize::try_from(total - allocated).expect("fewer left-over units than weights");
    remainders.sort_by(|(ra, ia), (rb, ib)| rb.cmp(ra).then(ia.cmp(ib)));
    for &(_, i) in &remainders[..left_over] {
        shares[i] += 1;
    }
    shares
}

/// `n / d` rounded half-up, for `n ≥ 0` and `d > 0`.
fn round_half_up(n: i128, d: i128) -> i128 {
    debug_assert!(n >= 0 && d > 0);
    (2 * n + d) / (2 * d)
}

fn check_max(value: i128, what: impl FnOnce() -> String) -> Result<i64, PricingError> {
    if value > i128::from(MAX_AMOUNT) {
        return Err(PricingError::TooLarge { what: what() });
    }
    Ok(to_i64(value))
}

/// For values already bounded by `MAX_AMOUNT`-derived limits, where failure would be a bug here.
fn to_i64(value: i128) -> i64 {
    i64::try_from(value).expect("bounded amount fits in i64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(unit_price: i64, quantity: u32) -> LineInput {
        LineInput {
            unit_price,
            quantity,
            discounts: vec![],
        }
    }

    fn input(lines: Vec<LineInput>, vat_inclusive: bool) -> PricingInput {
        PricingInput {
            lines,
            order_discounts: vec![],
            service_charge_bp: 0,
            delivery_fee: 0,
            tip: 0,
            vat_rate_bp: 1500,
            vat_inclusive,
        }
    }

    #[test]
    fn ksa_inclusive_23_sar_carries_3_sar_vat() {
        let p = price(&input(vec![line(2300, 1)], true)).unwrap();
        let t = &p.totals;
        assert_eq!(
            (t.taxable, t.vat, t.net_of_vat, t.total),
            (2300, 300, 2000, 2300)
        );
        assert_eq!(p.lines[0].vat, 300);
        assert_eq!(p.lines[0].net, 2300);
    }

    #[test]
    fn exclusive_vat_is_added_on_top() {
        let p = price(&input(vec![line(2000, 2), line(1250, 1)], false)).unwrap();
        let t = &p.totals;
        assert_eq!(t.items_gross, 5250);
        // 5250 × 15 % = 787.5 → 788 (half-up).
        assert_eq!(
            (t.taxable, t.vat, t.net_of_vat, t.total),
            (5250, 788, 5250, 6038)
        );
        assert_eq!(t.invoice_total, 6038);
        // Exact shares of 788 are 600.38 and 187.62: floors 600 + 187, the last halala goes to
        // the larger remainder, line 2.
        assert_eq!(
            p.lines.iter().map(|l| l.vat).collect::<Vec<_>>(),
            vec![600, 188]
        );
    }

    #[test]
    fn order_percent_discount_is_allocated_by_largest_remainder() {
        let mut i = input(vec![line(1999, 1), line(1499, 1), line(999, 1)], true);
        i.order_discounts = vec![Discount::percent(1000).labelled("WELCOME10")];
        let p = price(&i).unwrap();
        // 10 % of 4497 = 449.7 → 450. Exact shares 200.03, 150.00, 99.97: floors 200 + 150 + 99
        // leave one halala, which goes to the largest remainder, the third line.
        assert_eq!(p.totals.order_discounts, 450);
        let shares: Vec<i64> = p.lines.iter().map(|l| l.order_discount).collect();
        assert_eq!(shares, vec![200, 150, 100]);
        let nets: Vec<i64> = p.lines.iter().map(|l| l.net).collect();
        assert_eq!(nets, vec![1799, 1349, 899]);
        assert_eq!(p.totals.items_net, 4047);
        assert_eq!(
            p.applied_order_discounts,
            vec![AppliedDiscount {
                label: Some("WELCOME10".into()),
                amount: 450
            }]
        );
    }

    #[test]
    fn allocation_ties_go_to_the_earlier_line() {
        let mut i = input(vec![line(1000, 1), line(1000, 1), line(1000, 1)], true);
        i.order_discounts = vec![Discount::fixed(100)];
        let p = price(&i).unwrap();
        let shares: Vec<i64> = p.lines.iter().map(|l| l.order_discount).collect();
        assert_eq!(shares, vec![34, 33, 33]);
    }

    #[test]
    fn fixed_order_discount_larger_than_subtotal_is_capped() {
        let mut i = input(vec![line(1500, 1)], true);
        i.order_discounts = vec![Discount::fixed(5000), Discount::percent(5000)];
        i.delivery_fee = 1000;
        let p = price(&i).unwrap();
        let t = &p.totals;
        assert_eq!(
            (t.order_discounts, t.discount_total, t.items_net),
            (1500, 1500, 0)
        );
        let taken: Vec<i64> = p.applied_order_discounts.iter().map(|a| a.amount).collect();
        assert_eq!(taken, vec![1500, 0]);
        // Only the delivery fee is left to tax: 1000 × 1500 / 11500 = 130.43 → 130.
        assert_eq!((t.taxable, t.vat, t.total), (1000, 130, 1000));
        assert_eq!((p.lines[0].vat, t.delivery_fee_vat), (0, 130));
    }

    #[test]
    fn line_discounts_apply_in_order_and_cap_at_the_line() {
        let mut l = line(1000, 3);
        // 25 % of 3000 = 750, then 2000 fixed of the 2250 left, then 10 % of 250 = 25.
        l.discounts = vec![
            Discount::percent(2500),
            Discount::fixed(2000),
            Discount::percent(1000),
        ];
        let mut capped = line(500, 1);
        capped.discounts = vec![Discount::fixed(800).labelled("staff meal")];
        let p = price(&input(vec![l, capped], false)).unwrap();
        let taken: Vec<i64> = p.lines[0]
            .applied_discounts
            .iter()
            .map(|a| a.amount)
            .collect();
        assert_eq!(taken, vec![750, 2000, 25]);
        assert_eq!((p.lines[0].line_discount, p.lines[0].net), (2775, 225));
        assert_eq!((p.lines[1].line_discount, p.lines[1].net), (500, 0));
        assert_eq!(p.totals.line_discounts, 3275);
        assert_eq!(p.totals.items_net, 225);
    }

    #[test]
    fn service_charge_is_on_discounted_items_and_tip_is_untouched() {
        let mut i = input(vec![line(1999, 1), line(1499, 1), line(999, 1)], false);
        i.order_discounts = vec![Discount::percent(1000)];
        i.service_charge_bp = 1000;
        i.delivery_fee = 700;
        i.tip = 500;
        let p = price(&i).unwrap();
        let t = &p.totals;
        // Items net 4047 (see above); 10 % service = 404.7 → 405.
        assert_eq!(t.service_charge, 405);
        assert_eq!(t.taxable, 4047 + 405 + 700);
        // 5152 × 15 % = 772.8 → 773; the tip is added after VAT and carries none.
        assert_eq!(t.vat, 773);
        assert_eq!(t.tip, 500);
        assert_eq!(t.invoice_total, 5152 + 773);
        assert_eq!(t.total, 5152 + 773 + 500);
        let line_vat: i64 = p.lines.iter().map(|l| l.vat).sum();
        assert_eq!(line_vat + t.service_charge_vat + t.delivery_fee_vat, 773);
        // Exact shares of 773 over the taxable 5152: 60.76 → 61 and 105.03 → 105.
        assert_eq!((t.service_charge_vat, t.delivery_fee_vat), (61, 105));
    }

    #[test]
    fn vat_is_rounded_per_invoice_not_per_line() {
        // Per line, 10 × 15 % = 1.5 → 2 each, 6 in all; on the invoice 30 × 15 % = 4.5 → 5.
        let p = price(&input(vec![line(10, 1), line(10, 1), line(10, 1)], false)).unwrap();
        assert_eq!(p.totals.vat, 5);
        assert_eq!(
            p.lines.iter().map(|l| l.vat).collect::<Vec<_>>(),
            vec![2, 2, 1]
        );
    }

    #[test]
    fn empty_order_prices_to_zero_plus_tip() {
        let mut i = input(vec![], true);
        i.order_discounts = vec![Discount::fixed(100)];
        i.tip = 300;
        let t = price(&i).unwrap().totals;
        assert_eq!(
            (t.items_gross, t.discount_total, t.vat, t.total),
            (0, 0, 0, 300)
        );
    }

    #[test]
    fn zero_rated_order_has_no_vat() {
        let mut i = input(vec![line(4999, 2)], false);
        i.vat_rate_bp = 0;
        let t = price(&i).unwrap().totals;
        assert_eq!((t.vat, t.net_of_vat, t.total), (0, 9998, 9998));
    }

    #[test]
    fn invalid_input_is_refused() {
        let refuse = |f: &dyn Fn(&mut PricingInput)| {
            let mut i = input(vec![line(1000, 1)], true);
            f(&mut i);
            price(&i).unwrap_err()
        };
        assert_eq!(
            refuse(&|i| i.lines[0].quantity = 0),
            PricingError::Quantity {
                line: 0,
                quantity: 0
            }
        );
        assert_eq!(
            refuse(&|i| i.lines[0].quantity = 1000),
            PricingError::Quantity {
                line: 0,
                quantity: 1000
            }
        );
        assert!(matches!(
            refuse(&|i| i.lines[0].unit_price = -1),
            PricingError::NegativeUnitPrice { .. }
        ));
        assert_eq!(
            refuse(&|i| i.lines[0].discounts = vec![Discount::percent(0)]),
            PricingError::DiscountPercent {
                scope: DiscountScope::Line(0),
                bp: 0
            }
        );
        assert_eq!(
            refuse(&|i| i.order_discounts = vec![Discount::percent(10_001)]),
            PricingError::DiscountPercent {
                scope: DiscountScope::Order,
                bp: 10_001
            }
        );
        assert_eq!(
            refuse(&|i| i.order_discounts = vec![Discount::fixed(0)]),
            PricingError::DiscountFixed {
                scope: DiscountScope::Order,
                amount: 0
            }
        );
        assert_eq!(
            refuse(&|i| i.service_charge_bp = 10_001),
            PricingError::ServiceCharge { bp: 10_001 }
        );
        assert_eq!(
            refuse(&|i| i.vat_rate_bp = 10_001),
            PricingError::VatRate { bp: 10_001 }
        );
        assert_eq!(
            refuse(&|i| i.tip = -5),
            PricingError::Negative {
                field: "tip",
                value: -5
            }
        );
        assert_eq!(
            refuse(&|i| i.delivery_fee = -1),
            PricingError::Negative {
                field: "delivery fee",
                value: -1
            }
        );
    }

    #[test]
    fn absurd_amounts_are_refused() {
        let big = |lines: Vec<LineInput>| price(&input(lines, false)).unwrap_err();
        assert!(matches!(
            big(vec![line(i64::MAX, 999)]),
            PricingError::TooLarge { .. }
        ));
        // Each line is within the limit, their sum is not.
        assert!(matches!(
            big(vec![
                line(MAX_AMOUNT / 999, 999),
                line(MAX_AMOUNT / 999, 999)
            ]),
            PricingError::TooLarge { .. }
        ));
        // Items at the limit are fine; VAT on top pushes the total over it.
        let err = big(vec![line(MAX_AMOUNT, 1)]);
        assert_eq!(
            err,
            PricingError::TooLarge {
                what: "total".into()
            }
        );
        assert!(price(&input(vec![line(MAX_AMOUNT, 1)], true)).is_ok());
    }

    #[test]
    fn input_json_is_camel_case_with_tagged_discounts() {
        let json = r#"{
            "lines": [{"unitPrice": 2300, "quantity": 2,
                       "discounts": [{"value": {"kind": "percent", "bp": 1000}, "label": "HH"}]}],
            "orderDiscounts": [{"value": {"kind": "fixed", "amount": 100}}],
            "serviceChargeBp": 0, "deliveryFee": 0, "tip": 0,
            "vatRateBp": 1500, "vatInclusive": true
        }"#;
        let parsed: PricingInput = serde_json::from_str(json).unwrap();
        let mut l = line(2300, 2);
        l.discounts = vec![Discount::percent(1000).labelled("HH")];
        let mut expected = input(vec![l], true);
        expected.order_discounts = vec![Discount::fixed(100)];
        assert_eq!(parsed, expected);
        let out = serde_json::to_value(price(&parsed).unwrap()).unwrap();
        assert_eq!(out["totals"]["itemsNet"], 4040);
        assert_eq!(out["lines"][0]["lineDiscount"], 460);
    }

    #[test]
    fn a_carried_service_charge_is_taken_as_given_and_taxed() {
        let mut i = input(vec![line(1999, 1), line(1499, 2)], true);
        // The rate is ignored: the amount carried from the old checks is used.
        i.service_charge_bp = 1000;
        let p = price_with_service_charge(&i, 123).unwrap();
        let t = &p.totals;
        assert_eq!(t.service_charge, 123);
        assert_eq!(t.taxable, t.items_net + 123);
        assert_eq!(
            t.vat,
            to_i64(round_half_up(i128::from(t.taxable) * 1500, 11500))
        );
        let line_vat: i64 = p.lines.iter().map(|l| l.vat).sum();
        assert_eq!(line_vat + t.service_charge_vat, t.vat);
        assert!(t.service_charge_vat > 0);
        assert_eq!(
            price_with_service_charge(&i, -1),
            Err(PricingError::Negative {
                field: "service charge",
                value: -1
            })
        );
        assert!(price_with_service_charge(&i, MAX_AMOUNT + 1).is_err());
        // A plain `price` still applies the rate.
        assert_eq!(
            price(&i).unwrap().totals.service_charge,
            to_i64(round_half_up(i128::from(t.items_net) * 1000, 10000))
        );
    }

    #[test]
    fn allocate_is_exact_and_bounded() {
        assert_eq!(allocate(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(allocate(2, &[0, 5, 0, 5]), vec![0, 1, 0, 1]);
        assert_eq!(allocate(0, &[0, 0]), vec![0, 0]);
        assert_eq!(allocate(7, &[7]), vec![7]);
        assert_eq!(allocate(0, &[]), Vec::<i64>::new());
    }

    fn discount() -> impl Strategy<Value = Discount> {
        prop_oneof![
            (1u32..=10_000).prop_map(Discount::percent),
            (1i64..=2_000_000).prop_map(Discount::fixed),
        ]
    }

    fn line_input() -> impl Strategy<Value = LineInput> {
        (
            0i64..=500_000,
            1u32..=MAX_QUANTITY,
            prop::collection::vec(discount(), 0..3),
        )
            .prop_map(|(unit_price, quantity, discounts)| LineInput {
                unit_price,
                quantity,
                discounts,
            })
    }

    fn pricing_input() -> impl Strategy<Value = PricingInput> {
        (
            prop::collection::vec(line_input(), 0..8),
            prop::collection::vec(discount(), 0..3),
            prop_oneof![Just(0u32), 0u32..=10_000],
            0i64..=100_000,
            0i64..=100_000,
            prop_oneof![Just(1500u32), Just(0u32), 0u32..=10_000],
            any::<bool>(),
        )
            .prop_map(
                |(
                    lines,
                    order_discounts,
                    service_charge_bp,
                    delivery_fee,
                    tip,
                    vat_rate_bp,
                    vat_inclusive,
                )| {
                    PricingInput {
                        lines,
                        order_discounts,
                        service_charge_bp,
                        delivery_fee,
                        tip,
                        vat_rate_bp,
                        vat_inclusive,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn totals_hold_their_invariants(i in pricing_input()) {
            let p = price(&i).unwrap();
            let t = &p.totals;
            prop_assert!(t.total >= 0 && t.vat >= 0 && t.net_of_vat >= 0 && t.items_net >= 0);
            prop_assert_eq!(t.taxable, t.items_net + t.service_charge + t.delivery_fee);
            prop_assert_eq!(t.net_of_vat + t.vat, t.invoice_total);
            prop_assert_eq!(t.invoice_total + t.tip, t.total);
            if i.vat_inclusive {
                prop_assert_eq!(t.vat + t.net_of_vat, t.taxable);
                prop_assert_eq!(t.total, t.taxable + t.tip);
            } else {
                prop_assert_eq!(t.net_of_vat, t.taxable);
                prop_assert_eq!(t.total, t.taxable + t.vat + t.tip);
            }
            prop_assert_eq!(t.tip, i.tip);
            prop_assert_eq!(t.discount_total, t.line_discounts + t.order_discounts);
            prop_assert!(t.discount_total <= t.items_gross);
            prop_assert_eq!(t.items_gross - t.discount_total, t.items_net);
            prop_assert_eq!(p.lines.iter().map(|l| l.net).sum::<i64>(), t.items_net);
            prop_assert_eq!(p.lines.iter().map(|l| l.gross).sum::<i64>(), t.items_gross);
            let line_vat: i64 = p.lines.iter().map(|l| l.vat).sum();
            prop_assert_eq!(line_vat + t.service_charge_vat + t.delivery_fee_vat, t.vat);
            if t.service_charge == 0 && t.delivery_fee == 0 {
                prop_assert_eq!(line_vat, t.vat);
            }
        }

        #[test]
        fn vat_is_the_rate_of_the_taxable_amount_within_half_a_unit(i in pricing_input()) {
            let t = price(&i).unwrap().totals;
            let rate = i128::from(i.vat_rate_bp);
            let (vat, taxable) = (i128::from(t.vat), i128::from(t.taxable));
            // |vat − exact| ≤ ½, scaled by the denominator to stay in integers.
            let d = if i.vat_inclusive { 10_000 + rate } else { 10_000 };
            prop_assert!((2 * (vat * d - taxable * rate)).abs() <= d);
        }

        #[test]
        fn discounts_never_exceed_what_they_apply_to(i in pricing_input()) {
            let p = price(&i).unwrap();
            for (priced, input) in p.lines.iter().zip(&i.lines) {
                prop_assert_eq!(priced.gross, input.unit_price * i64::from(input.quantity));
                prop_assert!(priced.line_discount <= priced.gross);
                prop_assert!(priced.discount <= priced.gross);
                prop_assert!(priced.order_discount >= 0 && priced.net >= 0 && priced.vat >= 0);
                prop_assert_eq!(priced.gross - priced.discount, priced.net);
                let taken: i64 = priced.applied_discounts.iter().map(|a| a.amount).sum();
                prop_assert_eq!(taken, priced.line_discount);
            }
            let subtotal = p.totals.items_gross - p.totals.line_discounts;
            prop_assert!(p.totals.order_discounts <= subtotal);
            let taken: i64 = p.applied_order_discounts.iter().map(|a| a.amount).sum();
            prop_assert_eq!(taken, p.totals.order_discounts);
        }

        #[test]
        fn order_discount_shares_are_within_one_unit_of_proportional(i in pricing_input()) {
            let p = price(&i).unwrap();
            let subtotal = i128::from(p.totals.items_gross - p.totals.line_discounts);
            let d = i128::from(p.totals.order_discounts);
            prop_assert_eq!(p.lines.iter().map(|l| l.order_discount).sum::<i64>(), p.totals.order_discounts);
            for l in &p.lines {
                if subtotal == 0 { prop_assert_eq!(l.order_discount, 0); continue; }
                let weight = i128::from(l.gross - l.line_discount);
                let share = i128::from(l.order_discount);
                let floor = d * weight / subtotal;
                prop_assert!(share == floor || share == floor + 1);
            }
        }

        #[test]
        fn allocation_sums_exactly(
            weights in prop::collection::vec(0i64..=1_000_000_000, 1..20),
            pick in any::<u64>(),
        ) {
            let sum: i64 = weights.iter().sum();
            // Any total from 0 to the weight sum.
            let total = i64::try_from(pick % (sum as u64 + 1)).unwrap();
            let shares = allocate(total, &weights);
            prop_assert_eq!(shares.iter().sum::<i64>(), total);
            for (s, w) in shares.iter().zip(&weights) {
                prop_assert!(*s >= 0 && s <= w);
            }
        }

        #[test]
        fn arbitrary_input_is_priced_or_refused_never_panics(
            unit_price in prop_oneof![any::<i64>(), 0..=MAX_AMOUNT],
            quantity in prop_oneof![any::<u32>(), 0u32..=1000],
            fixed in prop_oneof![any::<i64>(), 0..=MAX_AMOUNT],
            bp in prop_oneof![any::<u32>(), 0u32..=10_001],
            tip in prop_oneof![any::<i64>(), 0..=MAX_AMOUNT],
            vat_rate_bp in prop_oneof![any::<u32>(), 0u32..=10_001],
            vat_inclusive in any::<bool>(),
        ) {
            let i = PricingInput {
                lines: vec![LineInput { unit_price, quantity, discounts: vec![Discount::fixed(fixed)] }],
                order_discounts: vec![Discount::percent(bp)],
                service_charge_bp: bp,
                delivery_fee: fixed,
                tip,
                vat_rate_bp,
                vat_inclusive,
            };
            if let Ok(p) = price(&i) {
                prop_assert!(p.totals.total >= 0 && p.totals.total <= MAX_AMOUNT);
            }
        }
    }
}
