-- Foundation: roles, tenancy helpers, identity tables, audit log.
--
-- Every tenant-owned table has `tenant_id`, row level security ENABLED and FORCED, and a policy
-- on `app_tenant_id()`, which reads the transaction-local `app.tenant_id` the API sets from the
-- authenticated principal. The application connects as `sous_app`: no ownership, no BYPASSRLS.

create extension if not exists citext;

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'sous_app') then
        create role sous_app login nosuperuser nobypassrls nocreatedb nocreaterole;
    end if;
end
$$;

grant usage on schema public to sous_app;
alter default privileges in schema public grant select, insert, update, delete on tables to sous_app;
alter default privileges in schema public grant usage, select on sequences to sous_app;

-- The current tenant/user of the transaction; NULL when unset (or reset to '' after a
-- transaction that set it), so an unscoped query matches no tenant row.
create function app_tenant_id() returns uuid
    language sql stable parallel safe
    as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

create function app_user_id() returns uuid
    language sql stable parallel safe
    as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create type role as enum ('owner', 'manager', 'cashier', 'waiter', 'kitchen', 'driver', 'customer', 'guest');

-- A brand. Its id is the tenant id.
create table tenants (
    id uuid primary key,
    slug text not null constraint tenants_slug_key unique
        check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    currency char(3) not null default 'SAR' check (currency ~ '^[A-Z]{3}$'),
    -- VAT in basis points (1500 = 15 %).
    vat_rate_bp integer not null default 1500 check (vat_rate_bp between 0 and 10000),
    vat_inclusive boolean not null default true,
    default_locale text not null default 'en' check (default_locale in ('en', 'ar')),
    created_at timestamptz not null default now()
);
alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenant_isolation on tenants
    using (id = app_tenant_id()) with check (id = app_tenant_id());

create table branches (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    address text,
    address_ar text,
    -- IANA zone name, checked by the API (e.g. Asia/Riyadh).
    time_zone text not null,
    lat double precision check (lat between -90 and 90),
    lng double precision check (lng between -180 and 180),
    -- {"mon": [["08:00","23:00"]], …}; days absent = closed.
    opening_hours jsonb not null default '{}'::jsonb check (jsonb_typeof(opening_hours) = 'object'),
    status text not null default 'open' check (status in ('open', 'closed', 'archived')),
    created_at timestamptz not null default now(),
    unique (tenant_id, id)
);
create index branches_tenant_idx on branches (tenant_id);
alter table branches enable row level security;
alter table branches force row level security;
create policy tenant_isolation on branches
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());

-- A person who can sign in (staff or customer). Global: one login across brands; what they may
-- do in a brand is their membership there. Visible to the app only as oneself or as a member of
-- the current tenant.
create table users (
    id uuid primary key,
    email citext not null constraint users_email_key unique
        check (email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
    password_hash text not null,
    display_name text not null check (length(display_name) between 1 and 254),
    created_at timestamptz not null default now()
);
alter table users enable row level security;
alter table users force row level security;

create table memberships (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    user_id uuid not null references users (id),
    role role not null check (role <> 'guest'),
    -- NULL: every branch of the tenant.
    branch_id uuid,
    -- Staff PIN for registered devices: argon2id hash plus the keyed look-up hash.
    pin_hash text,
    pin_lookup bytea,
    created_at timestamptz not null default now(),
    disabled_at timestamptz,
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    constraint memberships_pin_key unique (tenant_id, pin_lookup),
    constraint memberships_user_role_key unique (tenant_id, user_id, role),
    check ((pin_hash is null) = (pin_lookup is null)),
    check (role not in ('customer') or (branch_id is null and pin_hash is null))
);
create index memberships_user_idx on memberships (user_id);
alter table memberships enable row level security;
alter table memberships force row level security;
create policy tenant_isolation on memberships
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());

create policy self_or_member on users
    using (
        id = app_user_id()
        or exists (select 1 from memberships m where m.user_id = users.id and m.tenant_id = app_tenant_id())
    )
    with check (id = app_user_id());

-- A POS or KDS registered to a branch. `secret` keys the HMAC request signatures; it must be
-- readable to verify them, so it is stored as is and only ever shown once, at registration.
create table devices (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    kind text not null check (kind in ('pos', 'kds')),
    name text not null check (length(name) between 1 and 100),
    secret bytea not null,
    pin_failures integer not null default 0,
    locked_until timestamptz,
    created_by uuid references users (id),
    created_at timestamptz not null default now(),
    last_seen_at timestamptz,
    revoked_at timestamptz,
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index devices_branch_idx on devices (tenant_id, branch_id);
alter table devices enable row level security;
alter table devices force row level security;
create policy tenant_isolation on devices
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());

-- Signatures already accepted, to refuse replays within the freshness window.
create table device_signatures (
    tenant_id uuid not null references tenants (id),
    device_id uuid not null references devices (id),
    signature text not null,
    seen_at timestamptz not null default now(),
    primary key (device_id, signature)
);
create index device_signatures_seen_idx on device_signatures (seen_at);
alter table device_signatures enable row level security;
alter table device_signatures force row level security;
create policy tenant_isolation on device_signatures
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());

-- Refresh tokens, stored as SHA-256. Each use rotates: the used token records `used_at` and its
-- child; presenting a used token again revokes the whole family (stolen-token detection).
create table refresh_tokens (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    family_id uuid not null,
    parent_id uuid references refresh_tokens (id),
    subject_id uuid not null,
    kind text not null check (kind in ('staff', 'customer', 'guest')),
    role role not null,
    branch_id uuid,
    device_id uuid references devices (id),
    token_hash bytea not null constraint refresh_tokens_hash_key unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    revoked_at timestamptz
);
create index refresh_tokens_family_idx on refresh_tokens (family_id);
alter table refresh_tokens enable row level security;
alter table refresh_tokens force row level security;
create policy tenant_isolation on refresh_tokens
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());

-- Anonymous guests (QR table ordering): a session bound to a branch and optionally a table.
create table guest_sessions (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    table_ref text check (length(table_ref) <= 64),
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
alter table guest_sessions enable row level security;
alter table guest_sessions force row level security;
create policy tenant_isolation on guest_sessions
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());

-- Who changed what. Append-only for the application.
create table audit_log (
    id bigint generated always as identity primary key,
    tenant_id uuid not null references tenants (id),
    actor_id uuid,
    actor_role role,
    action text not null,
    entity text not null,
    entity_id uuid,
    before jsonb,
    after jsonb,
    at timestamptz not null default now()
);
create index audit_log_tenant_at_idx on audit_log (tenant_id, at desc);
alter table audit_log enable row level security;
alter table audit_log force row level security;
create policy tenant_isolation on audit_log
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
revoke update, delete, truncate on audit_log from sous_app;

-- Look-ups that must happen before a tenant is known. SECURITY DEFINER runs them as the owner,
-- which must be a superuser or have BYPASSRLS to read past the forced policies (`sous migrate`
-- checks this); each returns the minimum the caller needs.
create function auth_login_candidates(p_email text)
    returns table (user_id uuid, password_hash text, tenant_id uuid, tenant_slug text,
                   role role, branch_id uuid)
    language sql stable security definer set search_path = public, pg_temp
    as $$
        select u.id, u.password_hash, m.tenant_id, t.slug, m.role, m.branch_id
        from users u
        left join memberships m on m.user_id = u.id and m.disabled_at is null
        left join tenants t on t.id = m.tenant_id
        where u.email = p_email::citext
        order by m.created_at
    $$;

create function auth_tenant_by_slug(p_slug text)
    returns table (id uuid, name text, name_ar text, currency char(3), default_locale text)
    language sql stable security definer set search_path = public, pg_temp
    as $$ select id, name, name_ar, currency, default_locale from tenants where slug = p_slug $$;

create function auth_device(p_device_id uuid)
    returns table (tenant_id uuid, branch_id uuid, secret bytea, revoked boolean)
    language sql stable security definer set search_path = public, pg_temp
    as $$ select tenant_id, branch_id, secret, revoked_at is not null from devices where id = p_device_id $$;

create function auth_refresh_tenant(p_hash bytea) returns uuid
    language sql stable security definer set search_path = public, pg_temp
    as $$ select tenant_id from refresh_tokens where token_hash = p_hash $$;

revoke all on function auth_login_candidates(text), auth_tenant_by_slug(text), auth_device(uuid),
    auth_refresh_tenant(bytea) from public;
grant execute on function auth_login_candidates(text), auth_tenant_by_slug(text), auth_device(uuid),
    auth_refresh_tenant(bytea) to sous_app;
