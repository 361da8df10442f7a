//! Cash drawers: a session per POS device from opening (with a float) to closing (with a
//! count), the cash sales and refunds taken at that device, cash put in or taken out, and the
//! X (mid-shift) and Z (end of day) reports.
//!
//! In the books the drawer is the branch's `cash_drawer` account: the float and cash put in
//! come from `cash_transfers`; at close the difference between counted and expected goes to
//! `cash_over_short`, and the counted cash leaves the drawer for the safe (back to
//! `cash_transfers`), so a closed drawer holds nothing.

pub mod brand;
pub mod routes;
pub mod servers;

use chrono::{DateTime, NaiveDate, Utc};
use garde::Validate;
use ledger::{self, Account, NewEntry, Posting, credit, debit};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result, ResultExt},
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenDrawer {
    #[garde(skip)]
    pub branch_id: Uuid,
    /// Cash in the drawer to start with (minor units).
    #[garde(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100000000)]
    pub float: i64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    CashIn,
    CashOut,
}

impl MovementKind {
    /// As stored in `drawer_movements.kind` and as the journal entry's kind.
    fn as_str(self) -> &'static str {
        match self {
            MovementKind::CashIn => "cash_in",
            MovementKind::CashOut => "cash_out",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Movement {
    #[garde(skip)]
    pub kind: MovementKind,
    #[garde(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount: i64,
    /// "Change from the bank", "paid the delivery of ice"…
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseDrawer {
    /// The cash counted in the drawer.
    #[garde(range(min = 0, max = 1_000_000_000))]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub counted: i64,
}

/// A drawer session and where its cash stands (the X report while open).
#[derive(Clone, Debug, Serialize, ToSchema, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct DrawerReport {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub device_id: Uuid,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The branch's currency, which every amount here is in, and its decimals.
    pub currency: String,
    pub minor_units: i16,
    pub float_amount: i64,
    /// Cash payments taken at this drawer.
    pub cash_sales: i64,
    pub cash_sales_count: i64,
    /// Cash refunds given at this drawer.
    pub cash_refunds: i64,
    pub cash_in: i64,
    pub cash_out: i64,
    /// What the drawer should hold: float + sales − refunds + in − out.
    pub expected: i64,
    pub counted: Option<i64>,
    pub over_short: Option<i64>,
}

/// A till as for refunds, signed in on a POS device: its drawer is that device's.
fn require_till(who: &Principal, branch_id: Uuid) -> Result<Uuid> {
    ordering::api::require_till(who, branch_id)?;
    who.device_id.ok_or_else(|| {
        Error::invalid(
            "device",
            "a drawer belongs to a POS device: sign in with your PIN on a registered device",
        )
    })
}

async fn post(
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    session: Uuid,
    kind: &str,
    memo: Option<&str>,
    postings: Vec<Posting>,
) -> Result<()> {
    // A drawer holds its branch's currency: the branch's currency is fixed once it has books.
    let currency = platform::country::of_branch(tx, branch_id).await?.currency;
    ledger::post(
        tx,
        NewEntry {
            tenant_id: who.tenant_id,
            branch_id,
            kind,
            reference_type: "drawer_session",
            reference_id: session,
            memo,
            created_by: Some(who.id),
            currency: &currency,
            postings,
        },
    )
    .await?;
    Ok(())
}

/// The drawer open on `device`, if any (cash taken there belongs to it).
pub async fn open_session_of(tx: &mut Tx, device: Option<Uuid>) -> Result<Option<Uuid>> {
    let Some(device) = device else {
        return Ok(None);
    };
    Ok(sqlx::query_scalar(
        "select id from drawer_sessions where device_id = $1 and status = 'open'",
    )
    .bind(device)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn open(state: &AppState, who: &Principal, req: &OpenDrawer) -> Result<DrawerReport> {
    let device = require_till(who, req.branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into drawer_sessions (id, tenant_id, branch_id, device_id, opened_by, float_amount) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(who.tenant_id)
    .bind(req.branch_id)
    .bind(device)
    .bind(who.id)
    .bind(req.float)
    .execute(&mut *tx)
    .await
    .on_constraint("drawer_sessions_open_key", || {
        Error::conflict("drawer_open", "this device's drawer is already open: close it first")
    })?;
    post(
        &mut tx,
        who,
        req.branch_id,
        id,
        "drawer_open",
        Some("float"),
        vec![
            debit(Account::CashDrawer, req.float),
            credit(Account::CashTransfers, req.float),
        ],
    )
    .await?;
    let report = report_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(report)
}

/// Locks the session; it must be open and at a branch the caller works at.
async fn locked_open(tx: &mut Tx, who: &Principal, id: Uuid) -> Result<DrawerReport> {
    // Lock first, then read: two cash-outs at once must each see the other's.
    sqlx::query("select 1 from drawer_sessions where id = $1 for update")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let report = report_in(tx, id).await?;
    require_till(who, report.branch_id)?;
    if report.status != "open" {
        return Err(Error::conflict(
            "drawer_closed",
            "this drawer session is closed",
        ));
    }
    Ok(report)
}

pub async fn movement(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    req: &Movement,
) -> Result<DrawerReport> {
    let mut tx = state.db.begin(who.scope()).await?;
    let now = locked_open(&mut tx, who, id).await?;
    if req.kind == MovementKind::CashOut && req.amount > now.expected {
        return Err(Error::invalid(
            "amount",
            format!("the drawer should hold only {}", now.expected),
        ));
    }
    sqlx::query(
        "insert into drawer_movements (id, tenant_id, session_id, kind, amount, reason, created_by) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(who.tenant_id)
    .bind(id)
    .bind(req.kind.as_str())
    .bind(req.amount)
    .bind(&req.reason)
    .bind(who.id)
    .execute(&mut *tx)
    .await?;
    let (drawer, transfers) = match req.kind {
        MovementKind::CashIn => (
            debit(Account::CashDrawer, req.amount),
            credit(Account::CashTransfers, req.amount),
        ),
        MovementKind::CashOut => (
            credit(Account::CashDrawer, req.amount),
            debit(Account::CashTransfers, req.amount),
        ),
    };
    post(
        &mut tx,
        who,
        now.branch_id,
        id,
        req.kind.as_str(),
        Some(&req.reason),
        vec![drawer, transfers],
    )
    .await?;
    let report = report_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(report)
}

pub async fn close(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    req: &CloseDrawer,
) -> Result<DrawerReport> {
    let mut tx = state.db.begin(who.scope()).await?;
    let now = locked_open(&mut tx, who, id).await?;
    let over_short = req.counted - now.expected;
    let difference = if over_short >= 0 {
        vec![
            debit(Account::CashDrawer, over_short),
            credit(Account::CashOverShort, over_short),
        ]
    } else {
        vec![
            debit(Account::CashOverShort, -over_short),
            credit(Account::CashDrawer, -over_short),
        ]
    };
    post(
        &mut tx,
        who,
        now.branch_id,
        id,
        "drawer_over_short",
        Some("count at close"),
        difference,
    )
    .await?;
    post(
        &mut tx,
        who,
        now.branch_id,
        id,
        "drawer_close",
        Some("counted cash to the safe"),
        vec![
            debit(Account::CashTransfers, req.counted),
            credit(Account::CashDrawer, req.counted),
        ],
    )
    .await?;
    sqlx::query(
        "update drawer_sessions set status = 'closed', closed_by = $2, closed_at = now(), \
                expected = $3, counted = $4, over_short = $5 where id = $1",
    )
    .bind(id)
    .bind(who.id)
    .bind(now.expected)
    .bind(req.counted)
    .bind(over_short)
    .execute(&mut *tx)
    .await?;
    let report = report_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(report)
}

/// The X report of the drawer open on the caller's till: a till that was reloaded finds its
/// drawer again without having kept its id.
pub async fn current(state: &AppState, who: &Principal) -> Result<DrawerReport> {
    let mut tx = state.db.begin(who.scope()).await?;
    let id = open_session_of(&mut tx, who.device_id)
        .await?
        .ok_or(Error::NotFound)?;
    let report = report_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(report)
}

/// The X report of a session (any time; after close it shows the count too).
pub async fn report(state: &AppState, who: &Principal, id: Uuid) -> Result<DrawerReport> {
    let mut tx = state.db.begin(who.scope()).await?;
    let report = report_in(&mut tx, id).await?;
    if who.kind != PrincipalKind::Staff || !who.can_access_branch(report.branch_id) {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(report)
}

async fn report_in(tx: &mut Tx, id: Uuid) -> Result<DrawerReport> {
    sqlx::query_as(
        "with s as (select * from drawer_sessions where id = $1), \
         sales as (select coalesce(sum(amount), 0)::bigint as amount, count(*) as n \
                   from payments where drawer_session_id = $1), \
         back as (select coalesce(sum(amount), 0)::bigint as amount from refunds \
                  where drawer_session_id = $1), \
         moves as (select coalesce(sum(amount) filter (where kind = 'cash_in'), 0)::bigint as cash_in, \
                          coalesce(sum(amount) filter (where kind = 'cash_out'), 0)::bigint as cash_out \
                   from drawer_movements where session_id = $1) \
         select s.id, s.branch_id, s.device_id, s.status, s.opened_at, s.closed_at, \
                b.currency, c.minor_units, s.float_amount, \
                sales.amount as cash_sales, sales.n as cash_sales_count, \
                back.amount as cash_refunds, moves.cash_in, moves.cash_out, \
                coalesce(s.expected, \
                         s.float_amount + sales.amount - back.amount + moves.cash_in - moves.cash_out) \
                    as expected, \
                s.counted, s.over_short \
         from s join branches b on b.id = s.branch_id join currencies c on c.code = b.currency, \
              sales, back, moves",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// The end-of-day (Z) report of a branch's business day.
#[derive(Clone, Debug, Serialize, ToSchema, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ZReport {
    pub branch_id: Uuid,
    pub business_date: NaiveDate,
    /// The branch's currency, which every amount here is in, and its decimals.
    pub currency: String,
    pub minor_units: i16,
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

pub async fn z_report(
    state: &AppState,
    who: &Principal,
    branch_id: Uuid,
    day: NaiveDate,
) -> Result<ZReport> {
    if who.kind != PrincipalKind::Staff || !matches!(who.role, Role::Owner | Role::Manager) {
        return Err(Error::Forbidden);
    }
    who.require_branch(branch_id)?;
    let mut tx = state.db.begin(who.scope()).await?;
    let report = z_in(&mut tx, branch_id, day).await?;
    tx.commit().await?;
    Ok(report)
}

/// The Z report of one branch's day, in the caller's transaction. Another brand's branch is
/// not found.
pub(crate) async fn z_in(tx: &mut Tx, branch_id: Uuid, day: NaiveDate) -> Result<ZReport> {
    sqlx::query_as(
        "with o as (select * from order_facts where branch_id = $1 and business_date = $2), \
         live as (select * from o where status not in ('cancelled', 'voided', 'split', 'merged')) \
         select $1::uuid as branch_id, $2::date as business_date, b.currency, \
                (select minor_units from currencies where code = b.currency) as minor_units, \
                (select count(*) from live) as orders, \
                coalesce((select sum(items_gross) from live), 0)::bigint as items_gross, \
                coalesce((select sum(discount_total) from live), 0)::bigint as discounts, \
                coalesce((select sum(net_of_vat) from live), 0)::bigint as net_of_vat, \
                coalesce((select sum(vat) from live), 0)::bigint as vat, \
                coalesce((select sum(tip) from live), 0)::bigint as tips, \
                coalesce((select sum(total) from live), 0)::bigint as total, \
                (select count(*) from o where status = 'cancelled') as cancelled, \
                (select count(*) from o where status = 'voided') as voided, \
                coalesce((select sum(total) from o where status = 'voided'), 0)::bigint as voided_amount, \
                coalesce((select sum(p.amount - p.refunded) from payments p join o on o.id = p.order_id \
                          where p.method = 'cash'), 0)::bigint as cash_taken, \
                coalesce((select sum(r.amount) from refunds r join o on o.id = r.order_id), 0)::bigint as refunds, \
                coalesce((select sum(r.vat) from refunds r join o on o.id = r.order_id), 0)::bigint as refunds_vat, \
                (select count(*) from drawer_sessions d where d.branch_id = $1 and d.status = 'closed' \
                   and (d.closed_at at time zone b.time_zone)::date = $2) as drawers_closed, \
                coalesce((select sum(d.over_short) from drawer_sessions d where d.branch_id = $1 \
                   and d.status = 'closed' and (d.closed_at at time zone b.time_zone)::date = $2), 0)::bigint \
                   as over_short \
         from branches b where b.id = $1",
    )
    .bind(branch_id)
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}
