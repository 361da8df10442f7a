//! Connection pools and tenant-scoped transactions.
//!
//! The application pool connects as `sous_app`, a role that owns no table and has no
//! BYPASSRLS, so row level security applies to every query it runs. Each request that touches
//! tenant data runs in a transaction that first sets `app.tenant_id` (and `app.user_id`) with
//! `set_config(…, true)`, the function form of `SET LOCAL`: the values vanish at commit or
//! rollback, so a pooled connection never carries one tenant's context into another request.

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool, Postgres, Transaction,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use uuid::Uuid;

use crate::error::Result;

pub type Tx = Transaction<'static, Postgres>;

/// Scopes the rest of `tx` to `scope`. Public reads start anonymous, find the tenant through a
/// security-definer look-up (a branch id → its brand), and go on in the same transaction.
pub async fn set_scope(tx: &mut Tx, scope: TenantScope) -> Result<()> {
    // Not kept as a prepared statement: its text differs for every scope.
    let statement = scope_statement(scope, Notify::InTransaction);
    sqlx::query(&statement)
        .persistent(false)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Who tells the event listeners about the events a transaction appends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notify {
    /// The `events` trigger NOTIFYs at commit.
    InTransaction,
    /// The caller does, after commit, with [`Db::announce_events`].
    AfterCommit,
}

/// `BEGIN` and the scope in one round trip (a simple-query batch).
fn begin_scoped(scope: TenantScope, notify: Notify) -> String {
    format!("begin; {}", scope_statement(scope, notify))
}

/// The statement that scopes a transaction. The values are written into it — only UUIDs (hex
/// and dashes) and a fixed flag, nothing a caller could shape into SQL — so that it can ride in
/// one simple-query batch with `BEGIN`.
fn scope_statement(scope: TenantScope, notify: Notify) -> String {
    let quoted = |v: String| format!("'{v}'");
    let flag = if notify == Notify::AfterCommit {
        "on"
    } else {
        ""
    };
    let [tenant, user, branch] = scope.settings().map(quoted);
    format!(
        "select {}",
        scope_columns([&tenant, &user, &branch, &quoted(flag.into())])
    )
}

/// The `set_config` calls that scope a transaction (for the transaction only), as the columns
/// `tenant`, `usr`, `branch` and `notify`; each value is the SQL expression given.
fn scope_columns([tenant, user, branch, notify]: [&str; 4]) -> String {
    format!(
        "set_config('app.tenant_id', {tenant}, true) as tenant, \
         set_config('app.user_id', {user}, true) as usr, \
         set_config('app.branch_id', {branch}, true) as branch, \
         set_config('app.notify_after_commit', {notify}, true) as notify"
    )
}

/// A statement that calls `function($1, $5)`, a set-returning function of a `jsonb` and a
/// `text[]`, under a tenant scope it sets itself: `$2`, `$3`, `$4` are the scope's
/// [`TenantScope::settings`].
/// Run outside any transaction block it is a transaction of its own — scope, work and commit
/// in one round trip. The function is called after the scope is set, as its argument depends
/// on the scope's row; its events are announced by the caller ([`Db::announce_events`]).
pub fn scoped_call(function: &str) -> String {
    format!(
        "with scope as materialized (select {}) \
         select f.* from scope, lateral {function}( \
             case when (scope.tenant, scope.usr, scope.branch, scope.notify) is not null \
                  then $1::jsonb end, $5::text[]) f",
        scope_columns(["$2", "$3", "$4", "'on'"])
    )
}

/// A statement that selects `columns` of the set-returning `function` (as `f`) called with
/// `args` (`$2`…) under the brand
/// `$1` (text, a tenant id), which it sets itself, for this statement only: run outside any
/// transaction block it is a transaction of its own. For the security-definer functions that
/// sous calls on a pooled connection without a transaction and that take the brand from the
/// scope, never from an argument. The first argument is passed only once the scope's row
/// exists, so the function runs after the scope is set.
pub fn tenant_call(columns: &str, function: &str, args: &[&str]) -> String {
    let mut args = args.iter();
    let first = args
        .next()
        .map(|a| format!("case when scope.tenant is not null then {a} end"));
    let args: Vec<String> = first
        .into_iter()
        .chain(args.map(|a| a.to_string()))
        .collect();
    format!(
        "with scope as materialized (select set_config('app.tenant_id', $1::text, true) as tenant) \
         select {columns} from scope, lateral {function}({}) f",
        args.join(", ")
    )
}

/// Every migration of every context, applied in order. sqlx takes a PostgreSQL advisory lock
/// while it migrates, so instances that start together do not race.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The application role that `serve` uses.
pub const APP_ROLE: &str = "sous_app";

/// The channel committed events are announced on (`pg_notify`), which every process's event
/// listener follows.
pub const EVENTS_CHANNEL: &str = "sous_events";

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: PgPool,
    /// A few connections with `synchronous_commit = off` ([`Db::counters`]).
    counters: PgPool,
}

/// Connections of the counter pool: a counter is one row that every claim updates, so claims
/// are short and never wait for anything but each other.
const COUNTER_CONNECTIONS: u32 = 4;

/// Who a transaction acts for; becomes `app.tenant_id` / `app.user_id` / `app.branch_id`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TenantScope {
    pub tenant_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub branch_id: Option<Uuid>,
}

impl TenantScope {
    /// Tenant, user and branch as `set_config` takes them (an empty string for none).
    pub fn settings(&self) -> [String; 3] {
        [opt(self.tenant_id), opt(self.user_id), opt(self.branch_id)]
    }

    pub fn tenant(tenant_id: Uuid) -> Self {
        Self {
            tenant_id: Some(tenant_id),
            ..Self::default()
        }
    }

    pub fn user(mut self, user_id: Uuid) -> Self {
        self.user_id = Some(user_id);
        self
    }
}

/// A connection idle this long is pinged before it is handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Pool settings shared by both pools. sqlx pings every connection before handing it out by
/// default: a round trip per transaction, and a checkout takes three connections. Only one
/// that sat idle for a while can have been dropped unnoticed (a restart, a network cut); a busy
/// one that breaks fails its statement, like one that breaks mid-transaction.
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    use sqlx::Connection;
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

fn opt(v: Option<Uuid>) -> String {
    v.map(|u| u.to_string()).unwrap_or_default()
}

impl Db {
    /// Connects the application pool. `app_url` wins; otherwise the owner URL's user is
    /// replaced by `sous_app` (enough for the embedded cluster, whose socket trusts local users).
    pub async fn connect(owner_url: &str, app_url: Option<&str>, size: u32) -> Result<Self> {
        let options = match app_url {
            Some(url) => PgConnectOptions::from_str(url)?,
            None => PgConnectOptions::from_str(owner_url)?.username(APP_ROLE),
        };
        Self::connect_with(options, size).await
    }

    pub async fn connect_with(options: PgConnectOptions, size: u32) -> Result<Self> {
        let options = options.application_name("sous");
        let counters = pool_options()
            .max_connections(COUNTER_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options.clone().options([("synchronous_commit", "off")]));
        let pool = pool_options()
            .max_connections(size)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self { pool, counters })
    }

    /// [`Db::begin`] for a hot path whose events are announced after commit: the `events`
    /// trigger does not NOTIFY in it (a NOTIFYing transaction holds PostgreSQL's global notify
    /// lock through its WAL flush, so such commits take turns across the whole cluster). Call
    /// [`Db::announce_events`] once it has committed.
    pub async fn begin_announcing_after_commit(&self, scope: TenantScope) -> Result<Tx> {
        Ok(self
            .pool
            .begin_with(begin_scoped(scope, Notify::AfterCommit))
            .await?)
    }

    /// Wakes every process's event listener, from a connection that does not wait for the
    /// flush. Best effort: if it fails (or the process dies before it), the listeners' poll
    /// delivers the events a little later; they are committed either way.
    pub async fn announce_events(&self) {
        if let Err(e) = sqlx::query("select pg_notify($1, '')")
            .bind(EVENTS_CHANNEL)
            .execute(&self.counters)
            .await
        {
            tracing::warn!(error = %e, "could not announce committed events; the listeners' poll will find them");
        }
    }

    /// Connections with `synchronous_commit = off`, for claiming the next value of a counter
    /// row (an order number) in one statement outside any transaction: it commits at once,
    /// without waiting for the WAL flush, so the row is locked for a moment instead of for a
    /// whole checkout plus its flush.
    ///
    /// Only for a value whose user commits durably *after* the claim: that later commit flushes
    /// the WAL up to its own record, which lies after the claim's, so whenever the user of the
    /// value survives a crash, so does the claim. A claim lost in a crash was never used by
    /// anything durable, and may be handed out again.
    pub fn counters(&self) -> &PgPool {
        &self.counters
    }

    /// A transaction scoped to one tenant (and optionally a user and branch).
    pub async fn begin(&self, scope: TenantScope) -> Result<Tx> {
        Ok(self
            .pool
            .begin_with(begin_scoped(scope, Notify::InTransaction))
            .await?)
    }

    /// A transaction without tenant context: tenant tables show no rows; used for the few
    /// security-definer look-ups that come before a tenant is known (login, device key).
    pub async fn begin_anonymous(&self) -> Result<Tx> {
        self.begin(TenantScope::default()).await
    }
}

/// Applies all pending migrations as the owner. The owner must be a superuser or have
/// BYPASSRLS: the sign-in look-ups run as the owner and must read past the forced policies.
pub async fn migrate(owner_url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(owner_url).await?;
    let can_bypass: bool = sqlx::query_scalar(
        "select rolsuper or rolbypassrls from pg_roles where rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await?;
    if !can_bypass {
        anyhow::bail!(
            "the migration role must be a superuser or have BYPASSRLS \
             (ALTER ROLE <owner> BYPASSRLS), see docs/operations.md"
        );
    }
    MIGRATOR.run(&mut conn).await?;
    conn.close().await?;
    Ok(())
}
