//! The reconciliation: the ledger's balances next to what the orders and payments say.

pub mod repo;

use ledger::{self, Account};
use platform::{db::Tx, error::Result};
use serde_json::{Value, json};

/// The reconciliation in one currency: ledger balances next to what the orders and payments
/// say. Currencies are reconciled one at a time; their amounts are never added.
pub async fn reconcile(tx: &mut Tx, currency: &str) -> Result<Value> {
    let expected = repo::expected(tx, currency).await?;
    let books = json!({
        "trialBalance": ledger::trial_balance(tx, currency).await?,
        "receivable": ledger::balance(tx, Account::Receivable, None, currency).await?,
        "cash": ledger::balance(tx, Account::CashDrawer, None, currency).await?,
        "card": ledger::balance(tx, Account::CardClearing, None, currency).await?,
        "online": ledger::balance(tx, Account::OnlineClearing, None, currency).await?,
        "bank": ledger::balance(tx, Account::Bank, None, currency).await?,
        "fees": ledger::balance(tx, Account::PaymentFees, None, currency).await?,
        "vat": -ledger::balance(tx, Account::VatPayable, None, currency).await?,
        "tips": -ledger::balance(tx, Account::TipsPayable, None, currency).await?,
    });
    Ok(json!({ "currency": currency, "books": books, "orders": expected }))
}

/// The reconciliation of every currency the brand's books are kept in.
pub async fn reconcile_all(tx: &mut Tx) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    for currency in ledger::currencies(tx).await? {
        all.push(reconcile(tx, &currency).await?);
    }
    Ok(all)
}
