-- Settlements (docs/ordering.md §7): a provider's payout report moves what card or online
-- payments left in a branch's clearing account to its bank account, less the provider's fees.
-- One row per payout, unique per brand, method and the provider's reference, so a report
-- entered twice is booked once.
create table settlements (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    method text not null check (method in ('card', 'online')),
    -- The provider's payout or batch reference, as on its report.
    reference text not null check (length(reference) between 1 and 100),
    -- What the provider settled (taken from the clearing account) and what it kept.
    gross bigint not null check (gross > 0),
    fees bigint not null check (fees >= 0 and fees <= gross),
    net bigint generated always as (gross - fees) stored,
    -- The payout date on the report.
    settled_on date not null,
    created_by uuid not null,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    unique (tenant_id, method, reference),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index settlements_branch_idx on settlements (tenant_id, branch_id, settled_on desc);

select sous_tenant_rls('settlements');
revoke update, delete, truncate on settlements from sous_app;
