//! SQL of PIN sign-in: the lock-out counters (`pin_attempts`) and the staff tiles of a branch.

use platform::{auth::Role, db::Tx, error::Result};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// What a counter counts.
#[derive(Clone, Copy, Debug)]
pub enum Counter {
    User(Uuid),
    Device(Uuid),
    Approval(Uuid),
}

impl Counter {
    fn parts(self) -> (&'static str, Uuid) {
        match self {
            Counter::User(id) => ("user", id),
            Counter::Device(id) => ("device", id),
            Counter::Approval(id) => ("approval", id),
        }
    }
}

/// Seconds until the longest lock of `counters` ends (0: none is locked).
pub async fn locked_for(tx: &mut Tx, tenant_id: Uuid, counters: &[Counter]) -> Result<u64> {
    let (scopes, ids): (Vec<&str>, Vec<Uuid>) = counters.iter().map(|c| c.parts()).unzip();
    let secs: i64 = sqlx::query_scalar(
        "select coalesce(max(ceil(extract(epoch from locked_until - now()))), 0)::bigint \
         from pin_attempts where tenant_id = $1 and locked_until > now() \
           and (scope, subject_id) in (select * from unnest($2::text[], $3::uuid[]))",
    )
    .bind(tenant_id)
    .bind(&scopes)
    .bind(&ids)
    .fetch_one(&mut **tx)
    .await?;
    Ok(secs.max(0) as u64)
}

/// Counts one failure; from the `limit`-th, the counter locks for 30 s, doubling with each
/// further failure (at most an hour).
pub async fn failed(tx: &mut Tx, tenant_id: Uuid, counter: Counter, limit: i32) -> Result<()> {
    let (scope, id) = counter.parts();
    // Two statements: an update in the same statement as the upsert would not see its row.
    let failures: i32 = sqlx::query_scalar(
        "insert into pin_attempts as a (tenant_id, scope, subject_id, failures, last_failed_at) \
         values ($1, $2, $3, 1, now()) \
         on conflict (tenant_id, scope, subject_id) do update set \
           failures = case when greatest(a.last_failed_at, coalesce(a.locked_until, a.last_failed_at)) \
                                < now() - interval '15 minutes' then 1 else a.failures + 1 end, \
           last_failed_at = now() \
         returning failures",
    )
    .bind(tenant_id)
    .bind(scope)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    if failures >= limit {
        sqlx::query(
            "update pin_attempts set locked_until = now() + least(interval '1 hour', \
               interval '30 seconds' * power(2, least($4 - $5, 7))) \
             where tenant_id = $1 and scope = $2 and subject_id = $3",
        )
        .bind(tenant_id)
        .bind(scope)
        .bind(id)
        .bind(failures)
        .bind(limit)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Clears a counter (a member's own successful sign-in, a PIN reset).
pub async fn clear(tx: &mut Tx, tenant_id: Uuid, counter: Counter) -> Result<()> {
    let (scope, id) = counter.parts();
    sqlx::query("delete from pin_attempts where tenant_id = $1 and scope = $2 and subject_id = $3")
        .bind(tenant_id)
        .bind(scope)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A staff member as a device's sign-in screen shows them: a tile with their name.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct StaffTile {
    pub user_id: Uuid,
    pub display_name: String,
    /// Their most privileged staff role (a kitchen screen still signs everyone in as kitchen).
    pub role: Role,
}

/// Active staff with a PIN who may work at `branch_id`, by name.
pub async fn tiles(tx: &mut Tx, branch_id: Uuid) -> Result<Vec<StaffTile>> {
    Ok(sqlx::query_as(
        "select * from ( \
           select distinct on (m.user_id) m.user_id, u.display_name, m.role \
           from memberships m join users u on u.id = m.user_id \
           where m.pin_hash is not null and m.disabled_at is null and m.role <> 'customer' \
             and (m.branch_id is null or m.branch_id = $1) \
           order by m.user_id, m.role) t \
         order by display_name, user_id",
    )
    .bind(branch_id)
    .fetch_all(&mut **tx)
    .await?)
}

#[derive(sqlx::FromRow)]
pub struct PinMember {
    pub role: Role,
    pub pin_hash: String,
}

/// The membership a PIN sign-in as `user_id` at `branch_id` acts for (the most privileged).
pub async fn member(tx: &mut Tx, user_id: Uuid, branch_id: Uuid) -> Result<Option<PinMember>> {
    Ok(sqlx::query_as(
        "select role, pin_hash from memberships \
         where user_id = $1 and pin_hash is not null and disabled_at is null and role <> 'customer' \
           and (branch_id is null or branch_id = $2) \
         order by role limit 1",
    )
    .bind(user_id)
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?)
}

#[derive(sqlx::FromRow)]
pub struct Approver {
    pub user_id: Uuid,
    pub pin_hash: String,
}

/// An active owner or manager of `branch_id` whose PIN has this look-up hash.
pub async fn approver(tx: &mut Tx, lookup: &[u8], branch_id: Uuid) -> Result<Option<Approver>> {
    Ok(sqlx::query_as(
        "select user_id, pin_hash from memberships \
         where pin_lookup = $1 and disabled_at is null and role in ('owner', 'manager') \
           and (branch_id is null or branch_id = $2) \
         order by role, created_at limit 1",
    )
    .bind(lookup)
    .bind(branch_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Whether the person has an active staff membership that may work at `branch_id`.
pub async fn member_at(tx: &mut Tx, user_id: Uuid, branch_id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from memberships where user_id = $1 and disabled_at is null \
           and role <> 'customer' and (branch_id is null or branch_id = $2))",
    )
    .bind(user_id)
    .bind(branch_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// `pos` or `kds`.
pub async fn device_kind(tx: &mut Tx, device_id: Uuid) -> Result<String> {
    Ok(sqlx::query_scalar("select kind from devices where id = $1")
        .bind(device_id)
        .fetch_one(&mut **tx)
        .await?)
}

pub async fn device_seen(tx: &mut Tx, device_id: Uuid) -> Result<()> {
    sqlx::query("update devices set last_seen_at = now() where id = $1")
        .bind(device_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
