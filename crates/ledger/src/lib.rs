//! The double-entry ledger, which ordering (a sale, a void) and payments (a tender, a refund, a
//! settlement) both post to. A journal entry is a set of postings that sum to zero (debits
//! positive, credits negative), written in the caller's transaction; the database refuses to
//! commit an entry that does not balance and never lets one be changed afterwards.
//!
//! Accounts are made on first use, per brand (revenue, VAT, tips…) or per branch (the cash
//! drawer, card and online clearing), under stable codes, and per currency: an entry is in one
//! currency, its lines go to that currency's accounts, and the database refuses an entry whose
//! lines are in another currency or do not balance in its own. No figure here adds two
//! currencies.

use platform::{db::Tx, error::Result};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The accounts sous posts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// Cash in the branch's drawers.
    CashDrawer,
    /// Card payments captured by terminals, not yet settled by the acquirer.
    CardClearing,
    /// Online payments captured by the provider, not yet paid out.
    OnlineClearing,
    /// What guests owe for orders placed and not yet paid.
    Receivable,
    /// Item sales, at menu prices (VAT taken out when prices include it).
    SalesRevenue,
    ServiceChargeRevenue,
    DeliveryRevenue,
    /// Discounts given (reduces revenue).
    Discounts,
    /// Money given back to guests (reduces revenue).
    Refunds,
    VatPayable,
    /// Tips collected for the staff.
    TipsPayable,
    /// Counted cash above (credit) or below (debit) what the drawer should hold.
    CashOverShort,
    /// Cash put into or taken out of a drawer that is not a sale (float, petty cash).
    CashTransfers,
    /// The branch's bank account: card and online payouts land here (settlements).
    Bank,
    /// What the acquirer or online provider kept from a payout (processing fees).
    PaymentFees,
}

impl Account {
    pub const ALL: [Account; 15] = [
        Account::CashDrawer,
        Account::CardClearing,
        Account::OnlineClearing,
        Account::Receivable,
        Account::SalesRevenue,
        Account::ServiceChargeRevenue,
        Account::DeliveryRevenue,
        Account::Discounts,
        Account::Refunds,
        Account::VatPayable,
        Account::TipsPayable,
        Account::CashOverShort,
        Account::CashTransfers,
        Account::Bank,
        Account::PaymentFees,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Account::CashDrawer => "cash_drawer",
            Account::CardClearing => "card_clearing",
            Account::OnlineClearing => "online_clearing",
            Account::Receivable => "receivable",
            Account::SalesRevenue => "sales_revenue",
            Account::ServiceChargeRevenue => "service_charge_revenue",
            Account::DeliveryRevenue => "delivery_revenue",
            Account::Discounts => "discounts",
            Account::Refunds => "refunds",
            Account::VatPayable => "vat_payable",
            Account::TipsPayable => "tips_payable",
            Account::CashOverShort => "cash_over_short",
            Account::CashTransfers => "cash_transfers",
            Account::Bank => "bank",
            Account::PaymentFees => "payment_fees",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Account::CashDrawer
            | Account::CardClearing
            | Account::OnlineClearing
            | Account::Receivable
            | Account::Bank => "asset",
            Account::SalesRevenue | Account::ServiceChargeRevenue | Account::DeliveryRevenue => {
                "revenue"
            }
            Account::Discounts | Account::Refunds => "contra_revenue",
            Account::VatPayable | Account::TipsPayable => "liability",
            Account::CashOverShort | Account::PaymentFees => "expense",
            Account::CashTransfers => "equity",
        }
    }

    /// Money that sits somewhere physical (a drawer, a clearing account) is tracked per branch.
    fn per_branch(self) -> bool {
        matches!(
            self,
            Account::CashDrawer
                | Account::CardClearing
                | Account::OnlineClearing
                | Account::CashOverShort
                | Account::CashTransfers
                | Account::Bank
                | Account::PaymentFees
        )
    }
}

/// One line of an entry: a debit (positive) or credit (negative) to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub amount: i64,
}

pub fn debit(account: Account, amount: i64) -> Posting {
    Posting { account, amount }
}

pub fn credit(account: Account, amount: i64) -> Posting {
    Posting {
        account,
        amount: -amount,
    }
}

pub struct NewEntry<'a> {
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    /// sale, payment, refund, void, cash_in, cash_out…
    pub kind: &'a str,
    pub reference_type: &'a str,
    pub reference_id: Uuid,
    pub memo: Option<&'a str>,
    pub created_by: Option<Uuid>,
    /// The ISO 4217 code every posting is in (the order's, or the branch's for a drawer or a
    /// payout).
    pub currency: &'a str,
    pub postings: Vec<Posting>,
}

/// Postings with the zero ones dropped and the same account merged; an error if they do not
/// balance — a bug in the caller, which the database would refuse at commit anyway.
fn settle(postings: &[Posting]) -> anyhow::Result<Vec<Posting>> {
    let mut merged: Vec<Posting> = Vec::new();
    for p in postings {
        match merged.iter_mut().find(|m| m.account == p.account) {
            Some(m) => m.amount += p.amount,
            None => merged.push(*p),
        }
    }
    merged.retain(|p| p.amount != 0);
    let sum: i128 = merged.iter().map(|p| i128::from(p.amount)).sum();
    anyhow::ensure!(sum == 0, "journal entry does not balance: {postings:?}");
    Ok(merged)
}

/// Posts an entry in the caller's transaction. An entry whose postings all cancel out writes
/// nothing and returns `None`. One statement: the database's `ledger_post`, the only way the
/// app role can write the journal, checks the balance and makes missing accounts.
pub async fn post(tx: &mut Tx, e: NewEntry<'_>) -> Result<Option<Uuid>> {
    let Some((id, entry)) = entry(&e)? else {
        return Ok(None);
    };
    sqlx::query("select ledger_post($1)")
        .bind(serde_json::Value::Array(vec![entry]))
        .execute(&mut **tx)
        .await?;
    Ok(Some(id))
}

/// The entry as `ledger_post` takes it (an array of these; for a caller that posts entries
/// inside a larger database function, such as checkout's `order_place_batch`), with its new id;
/// `None` when the postings cancel out.
pub fn entry(e: &NewEntry<'_>) -> Result<Option<(Uuid, serde_json::Value)>> {
    let postings = settle(&e.postings)?;
    if postings.is_empty() {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    let postings: Vec<serde_json::Value> = postings
        .iter()
        .map(|p| {
            serde_json::json!({
                "code": p.account.code(),
                "kind": p.account.kind(),
                "branchId": p.account.per_branch().then_some(e.branch_id),
                "newId": Uuid::now_v7(),
                "amount": p.amount,
            })
        })
        .collect();
    let entry = serde_json::json!({
        "id": id,
        "tenantId": e.tenant_id,
        "branchId": e.branch_id,
        "kind": e.kind,
        "referenceType": e.reference_type,
        "referenceId": e.reference_id,
        "memo": e.memo,
        "createdBy": e.created_by,
        "currency": e.currency,
        "postings": postings,
    });
    Ok(Some((id, entry)))
}

/// An account's balance in one currency (debits minus credits) for the brand, or one branch's
/// part of it.
pub async fn balance(
    tx: &mut Tx,
    account: Account,
    branch_id: Option<Uuid>,
    currency: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(l.amount), 0)::bigint from journal_lines l \
         join ledger_accounts a on a.id = l.account_id \
         join journal_entries e on e.id = l.entry_id \
         where a.code = $1 and ($2::uuid is null or e.branch_id = $2) and a.currency = $3",
    )
    .bind(account.code())
    .bind(branch_id)
    .bind(currency)
    .fetch_one(&mut **tx)
    .await?)
}

/// The sum of every line of the brand's journal in one currency: zero when the books balance.
pub async fn trial_balance(tx: &mut Tx, currency: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(l.amount), 0)::bigint from journal_lines l \
         join journal_entries e on e.id = l.entry_id where e.currency = $1",
    )
    .bind(currency)
    .fetch_one(&mut **tx)
    .await?)
}

/// The currencies the brand's books are kept in, in code order.
pub async fn currencies(tx: &mut Tx) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("select distinct currency from ledger_accounts order by currency")
            .fetch_all(&mut **tx)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_merge_drop_zeroes_and_must_balance() {
        let merged = settle(&[
            debit(Account::Receivable, 2300),
            credit(Account::SalesRevenue, 2300),
            debit(Account::SalesRevenue, 300),
            credit(Account::VatPayable, 300),
            debit(Account::Discounts, 0),
        ])
        .unwrap();
        assert_eq!(
            merged,
            vec![
                debit(Account::Receivable, 2300),
                credit(Account::SalesRevenue, 2000),
                credit(Account::VatPayable, 300),
            ]
        );
        assert!(
            settle(&[
                debit(Account::CashDrawer, 1),
                credit(Account::Receivable, 2)
            ])
            .is_err()
        );
        assert!(settle(&[]).unwrap().is_empty());
    }

    #[test]
    fn every_account_has_a_distinct_code() {
        let mut codes: Vec<_> = Account::ALL.iter().map(|a| a.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Account::ALL.len());
    }
}
