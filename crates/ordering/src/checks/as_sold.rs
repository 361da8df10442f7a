//! Pricing lines again exactly as they were sold: what a split, a merge and a line void each
//! need of an order's remaining lines.

use platform::error::{Error, Result};

use super::repo::SoldLine;
use crate::pricing::{self, Discount, LineInput, Pricing, PricingInput};

/// Lines priced again as they were sold: each keeps its unit price, quantity and its share of
/// the old discounts as a fixed discount, so its net does not move; the service charge, delivery
/// fee and tip are given, and VAT is computed once on the whole invoice.
pub(crate) fn price_as_sold(
    lines: &[SoldLine],
    service_charge: i64,
    delivery_fee: i64,
    tip: i64,
    (vat_rate_bp, vat_inclusive): (u32, bool),
) -> Result<Pricing> {
    let input = PricingInput {
        lines: lines
            .iter()
            .map(|l| LineInput {
                unit_price: l.unit_price,
                quantity: l.quantity as u32,
                discounts: if l.discount > 0 {
                    vec![Discount::fixed(l.discount).labelled("carried over")]
                } else {
                    vec![]
                },
            })
            .collect(),
        order_discounts: vec![],
        service_charge_bp: 0,
        delivery_fee,
        tip,
        vat_rate_bp,
        vat_inclusive,
    };
    pricing::price_with_service_charge(&input, service_charge)
        .map_err(|e| Error::invalid("body", e.to_string()))
}
