//! The brand's end-of-day report: every branch's Z report of a business day, summed per
//! currency. A brand selling in SAR and AED gets two sets of figures; no figure adds two
//! currencies.

use chrono::NaiveDate;
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ZReport, z_in};

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrandZReport {
    pub business_date: NaiveDate,
    /// One set of figures per currency, in code order.
    pub currencies: Vec<CurrencyZ>,
}

/// The Z figures of the branches that sell in one currency (as [`ZReport`]'s, summed).
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyZ {
    pub currency: String,
    pub minor_units: i16,
    pub branch_ids: Vec<Uuid>,
    pub orders: i64,
    pub items_gross: i64,
    pub discounts: i64,
    pub net_of_vat: i64,
    pub vat: i64,
    pub tips: i64,
    pub total: i64,
    pub cancelled: i64,
    pub voided: i64,
    pub voided_amount: i64,
    pub cash_taken: i64,
    pub refunds: i64,
    pub refunds_vat: i64,
    pub drawers_closed: i64,
    pub over_short: i64,
}

impl CurrencyZ {
    fn add(&mut self, z: &ZReport) {
        self.branch_ids.push(z.branch_id);
        self.orders += z.orders;
        self.items_gross += z.items_gross;
        self.discounts += z.discounts;
        self.net_of_vat += z.net_of_vat;
        self.vat += z.vat;
        self.tips += z.tips;
        self.total += z.total;
        self.cancelled += z.cancelled;
        self.voided += z.voided;
        self.voided_amount += z.voided_amount;
        self.cash_taken += z.cash_taken;
        self.refunds += z.refunds;
        self.refunds_vat += z.refunds_vat;
        self.drawers_closed += z.drawers_closed;
        self.over_short += z.over_short;
    }
}

/// Branch Z reports grouped by their currency.
pub fn per_currency(reports: &[ZReport]) -> Vec<CurrencyZ> {
    let mut out: Vec<CurrencyZ> = Vec::new();
    for z in reports {
        let at = match out.iter().position(|c| c.currency == z.currency) {
            Some(at) => at,
            None => {
                out.push(CurrencyZ {
                    currency: z.currency.clone(),
                    minor_units: z.minor_units,
                    ..CurrencyZ::default()
                });
                out.len() - 1
            }
        };
        out[at].add(z);
    }
    out.sort_by(|a, b| a.currency.cmp(&b.currency));
    out
}

/// The brand's Z report of `day` (the owner, or a manager of every branch).
pub async fn brand_z(state: &AppState, who: &Principal, day: NaiveDate) -> Result<BrandZReport> {
    if who.kind != PrincipalKind::Staff
        || !matches!(who.role, Role::Owner | Role::Manager)
        || (who.role != Role::Owner && who.branch_id.is_some())
    {
        return Err(Error::Forbidden);
    }
    let mut tx = state.db.begin(who.scope()).await?;
    let mut reports = Vec::new();
    for branch_id in branches(&mut tx).await? {
        reports.push(z_in(&mut tx, branch_id, day).await?);
    }
    tx.commit().await?;
    Ok(BrandZReport {
        business_date: day,
        currencies: per_currency(&reports),
    })
}

/// The brand's branches, archived ones included: a day's sales stay in its report.
async fn branches(tx: &mut Tx) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar("select id from branches order by id")
        .fetch_all(&mut **tx)
        .await?)
}
