//! The reconciliation: the ledger's balances next to what the orders and payments say.

pub mod repo;

use ledger::{self, Account};
use platform::{db::Tx, error::Result};
use serde_json::{Value, json};

/// The reconciliation: ledger balances next to what the orders and payments say.
pub async fn reconcile(tx: &mut Tx) -> Result<Value> {
    let expected = repo::expected(tx).await?;
    let books = json!({
        "trialBalance": ledger::trial_balance(tx).await?,
        "receivable": ledger::balance(tx, Account::Receivable, None).await?,
        "cash": ledger::balance(tx, Account::CashDrawer, None).await?,
        "card": ledger::balance(tx, Account::CardClearing, None).await?,
        "online": ledger::balance(tx, Account::OnlineClearing, None).await?,
        "bank": ledger::balance(tx, Account::Bank, None).await?,
        "fees": ledger::balance(tx, Account::PaymentFees, None).await?,
        "vat": -ledger::balance(tx, Account::VatPayable, None).await?,
        "tips": -ledger::balance(tx, Account::TipsPayable, None).await?,
    });
    Ok(json!({ "books": books, "orders": expected }))
}
