//! Settlements: the acquirer's or online provider's payout report, booked.
//!
//! Card and online payments are debited to the branch's `card_clearing` / `online_clearing`
//! when the provider captures them (docs/ordering.md §6). When the provider pays out, a manager enters the
//! payout: what it settled (`gross`, taken out of the clearing account), what it kept
//! (`fees`, an expense) and what reached the bank (`net = gross − fees`). One entry:
//! D `bank` net, D `payment_fees` fees, C clearing gross. A payout is booked once per brand,
//! method and provider reference: entering the same report again answers the settlement
//! already booked; the same reference with other figures is refused.

pub mod repo;
pub mod routes;

use chrono::NaiveDate;
use garde::Validate;
use ledger::{self, Account, NewEntry, credit, debit};
use platform::{
    AppState,
    auth::Principal,
    error::{Error, Result},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum SettledMethod {
    Card,
    Online,
}

impl SettledMethod {
    fn clearing(self) -> Account {
        match self {
            SettledMethod::Card => Account::CardClearing,
            SettledMethod::Online => Account::OnlineClearing,
        }
    }
}

/// `POST /api/branches/{branch_id}/settlements`: one payout of the provider's report.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSettlement {
    #[garde(skip)]
    pub method: SettledMethod,
    /// The provider's payout or batch reference.
    #[garde(length(chars, min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub reference: String,
    /// What the provider settled: taken out of the clearing account.
    #[garde(range(min = 1, max = 1_000_000_000_000))]
    #[schema(minimum = 1, maximum = 1000000000000i64)]
    pub gross: i64,
    /// What the provider kept (≤ gross).
    #[garde(range(min = 0, max = 1_000_000_000_000))]
    #[schema(minimum = 0, maximum = 1000000000000i64)]
    pub fees: i64,
    /// The payout date on the report.
    #[garde(skip)]
    pub settled_on: NaiveDate,
}

#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub method: SettledMethod,
    pub reference: String,
    /// The branch's currency, which the payout is in.
    pub currency: String,
    pub gross: i64,
    pub fees: i64,
    /// `gross − fees`: what reached the bank.
    pub net: i64,
    pub settled_on: NaiveDate,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A clearing account of the branch: the books next to the payments not settled yet.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Clearing {
    pub method: SettledMethod,
    /// The clearing account's balance in the ledger.
    pub books: i64,
    /// Payments captured, less refunds given back on them, less what was settled.
    pub unsettled: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettlementsView {
    /// The branch's currency, which every amount here is in, and its decimals.
    pub currency: String,
    pub minor_units: i16,
    pub clearing: Vec<Clearing>,
    /// Newest payout first.
    pub settlements: Vec<Settlement>,
}

/// Books a payout; `true` when it is new, `false` when this report was booked already.
pub async fn record(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    req: &NewSettlement,
) -> Result<(bool, Settlement)> {
    who.require_branch(branch_id)?;
    if req.fees > req.gross {
        return Err(Error::invalid(
            "fees",
            "cannot be more than the gross amount",
        ));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    // A payout is in the branch's currency, as its clearing account is.
    let currency = platform::country::of_branch(&mut tx, branch_id)
        .await?
        .currency;
    // Settlements of a branch take turns, so the clearing account cannot be settled twice over.
    repo::lock_settlements(&mut tx, branch_id).await?;
    if let Some(existing) =
        repo::settlement_by_reference(&mut tx, req.method, &req.reference).await?
    {
        tx.commit().await?;
        let same = existing.branch_id == branch_id
            && existing.gross == req.gross
            && existing.fees == req.fees
            && existing.settled_on == req.settled_on;
        if !same {
            return Err(Error::conflict(
                "settlement_reference_taken",
                "a payout with this reference was booked with other figures",
            ));
        }
        return Ok((false, existing));
    }
    let clearing = req.method.clearing();
    let held = ledger::balance(&mut tx, clearing, Some(branch_id), &currency).await?;
    if req.gross > held {
        return Err(Error::invalid(
            "gross",
            format!("the branch's {} holds only {held}", clearing.code()),
        ));
    }
    let id = Uuid::now_v7();
    repo::insert_settlement(
        &mut tx,
        (who.tenant_id, branch_id, &currency),
        id,
        req,
        who.id,
    )
    .await?;
    ledger::post(
        &mut tx,
        NewEntry {
            tenant_id: who.tenant_id,
            branch_id,
            kind: "settlement",
            reference_type: "settlement",
            reference_id: id,
            memo: Some(&req.reference),
            created_by: Some(who.id),
            currency: &currency,
            postings: vec![
                debit(Account::Bank, req.gross - req.fees),
                debit(Account::PaymentFees, req.fees),
                credit(clearing, req.gross),
            ],
        },
    )
    .await?;
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "settlement.recorded",
            entity: "settlement",
            entity_id: Some(id),
            before: None,
            after: Some(json!({ "method": req.method, "reference": req.reference,
                                "gross": req.gross, "fees": req.fees })),
        },
    )
    .await?;
    let settlement = repo::settlement(&mut tx, id).await?;
    tx.commit().await?;
    Ok((true, settlement))
}

/// The branch's clearing accounts and payouts.
pub async fn list(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<SettlementsView> {
    who.require_branch(branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    catalog::repo::branch_time_zone(&mut tx, branch_id).await?;
    let country = platform::country::of_branch(&mut tx, branch_id).await?;
    let mut clearing = Vec::with_capacity(2);
    for method in [SettledMethod::Card, SettledMethod::Online] {
        clearing.push(Clearing {
            method,
            books: ledger::balance(
                &mut tx,
                method.clearing(),
                Some(branch_id),
                &country.currency,
            )
            .await?,
            unsettled: repo::unsettled(&mut tx, branch_id, method).await?,
        });
    }
    let settlements = repo::settlements(&mut tx, branch_id).await?;
    tx.commit().await?;
    Ok(SettlementsView {
        currency: country.currency,
        minor_units: country.minor_units,
        clearing,
        settlements,
    })
}
