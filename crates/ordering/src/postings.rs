//! The ledger entries of a sale: the sale itself, its reversal (a void, a split or a merge
//! ends an order's sale) and the cash taken for it. A leaf: it names only pricing's totals and
//! the ledger, so every part of ordering (and payments) books a sale the same way.

use ledger::{Account, NewEntry, Posting, credit, debit};
use platform::auth::Principal;
use uuid::Uuid;

use crate::pricing::Totals;

/// The sale's journal entry: the guest owes the total; revenue, service charge, delivery,
/// tips and VAT are credited; discounts are a debit against revenue. When prices include VAT,
/// the VAT inside each revenue figure is moved out of it.
pub fn sale(t: &Totals) -> Vec<Posting> {
    let mut p = vec![
        debit(Account::Receivable, t.total),
        debit(Account::Discounts, t.discount_total),
        credit(Account::SalesRevenue, t.items_gross),
        credit(Account::ServiceChargeRevenue, t.service_charge),
        credit(Account::DeliveryRevenue, t.delivery_fee),
        credit(Account::TipsPayable, t.tip),
        credit(Account::VatPayable, t.vat),
    ];
    if t.vat_inclusive {
        p.push(debit(
            Account::SalesRevenue,
            t.vat - t.service_charge_vat - t.delivery_fee_vat,
        ));
        p.push(debit(Account::ServiceChargeRevenue, t.service_charge_vat));
        p.push(debit(Account::DeliveryRevenue, t.delivery_fee_vat));
    }
    p
}

/// The sale undone in the books: the same entry, every sign reversed.
pub fn sale_reversal(t: &Totals) -> Vec<Posting> {
    sale(t)
        .into_iter()
        .map(|p| Posting {
            account: p.account,
            amount: -p.amount,
        })
        .collect()
}

/// Cash into the drawer, settling what the guest owes, in the order's currency.
pub fn cash_payment<'a>(
    who: &Principal,
    branch_id: Uuid,
    payment_id: Uuid,
    amount: i64,
    currency: &'a str,
) -> NewEntry<'a> {
    NewEntry {
        tenant_id: who.tenant_id,
        branch_id,
        kind: "payment",
        reference_type: "payment",
        reference_id: payment_id,
        memo: Some("cash"),
        created_by: Some(who.id),
        currency,
        postings: vec![
            debit(Account::CashDrawer, amount),
            credit(Account::Receivable, amount),
        ],
    }
}
