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
