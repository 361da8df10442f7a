-- A branch's service charge (docs/ordering.md §4, §5): a rate in basis points of the items
-- after discounts, for the order types it applies to (dine-in unless the branch says
-- otherwise). A branch without a row charges none.
create table branch_service_charges (
    branch_id uuid primary key,
    tenant_id uuid not null references tenants (id),
    rate_bp integer not null check (rate_bp between 0 and 3000),
    order_types text[] not null default '{dine_in}'
        check (order_types <@ array['dine_in', 'takeaway', 'pickup', 'delivery']),
    updated_by uuid not null,
    updated_at timestamptz not null default now(),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index branch_service_charges_tenant_idx on branch_service_charges (tenant_id);

select sous_tenant_rls('branch_service_charges');
revoke delete, truncate on branch_service_charges from sous_app;
