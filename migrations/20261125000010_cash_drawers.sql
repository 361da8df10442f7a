-- Cash drawer sessions (seed §2 Payments): a POS device's drawer is opened with a float,
-- takes cash sales and refunds, cash put in or taken out with a reason, and is closed with a
-- count; the difference to what it should hold is posted as over/short.

create table drawer_sessions (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    device_id uuid not null,
    opened_by uuid not null,
    opened_at timestamptz not null default now(),
    float_amount bigint not null check (float_amount >= 0),
    status text not null default 'open' check (status in ('open', 'closed')),
    closed_by uuid,
    closed_at timestamptz,
    -- At close: what should be in the drawer, what was counted, and the difference.
    expected bigint,
    counted bigint check (counted >= 0),
    over_short bigint,
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    check ((status = 'closed') = (closed_at is not null and counted is not null and expected is not null))
);
-- One open drawer per device.
create unique index drawer_sessions_open_key on drawer_sessions (device_id) where status = 'open';
create index drawer_sessions_branch_idx on drawer_sessions (tenant_id, branch_id, opened_at desc);

create table drawer_movements (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    session_id uuid not null,
    kind text not null check (kind in ('cash_in', 'cash_out')),
    amount bigint not null check (amount > 0),
    reason text not null check (length(reason) between 1 and 200),
    created_by uuid not null,
    created_at timestamptz not null default now(),
    foreign key (tenant_id, session_id) references drawer_sessions (tenant_id, id)
);
create index drawer_movements_session_idx on drawer_movements (tenant_id, session_id);

-- Cash taken or given back at a till belongs to the drawer open on that device.
alter table payments add column drawer_session_id uuid;
alter table payments add foreign key (tenant_id, drawer_session_id) references drawer_sessions (tenant_id, id);
alter table refunds add column drawer_session_id uuid;
alter table refunds add foreign key (tenant_id, drawer_session_id) references drawer_sessions (tenant_id, id);
create index payments_drawer_idx on payments (drawer_session_id) where drawer_session_id is not null;
create index refunds_drawer_idx on refunds (drawer_session_id) where drawer_session_id is not null;

select sous_tenant_rls('drawer_sessions', 'drawer_movements');
revoke delete, truncate on drawer_sessions from sous_app;
revoke update, delete, truncate on drawer_movements from sous_app;
