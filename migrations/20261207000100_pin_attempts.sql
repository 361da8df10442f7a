-- A PIN no longer identifies a staff member on its own: a PIN sign-in names the person first
-- (a staff tile on the device), so two members of a brand may have the same PIN and adding
-- staff no longer tells anyone which PINs are in use. The look-up hash stays (indexed, not
-- unique) for manager approval at the till, which checks the branch's managers with that PIN.
alter table memberships drop constraint memberships_pin_key;
create index memberships_pin_lookup_idx on memberships (tenant_id, pin_lookup)
    where pin_lookup is not null;

-- Failed PIN attempts: per staff member (`user`: sign-ins as them), per device (`device`: any
-- PIN typed on it) and per caller asking for a manager's approval (`approval`). A counter starts
-- again after 15 minutes without a failure and without a lock; a member's own successful
-- sign-in (or a PIN reset) clears their `user` counter, and nobody else's success does.
create table pin_attempts (
    tenant_id uuid not null references tenants (id),
    scope text not null check (scope in ('user', 'device', 'approval')),
    subject_id uuid not null,
    failures integer not null default 0 check (failures >= 0),
    last_failed_at timestamptz not null default now(),
    locked_until timestamptz,
    primary key (tenant_id, scope, subject_id)
);
select sous_tenant_rls('pin_attempts');
