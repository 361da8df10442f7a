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
mod tests;
