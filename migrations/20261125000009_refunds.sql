-- Refunds: money given back against a payment, with the VAT it takes back (so VAT payable and
-- the reconciliation stay exact) and who approved it.
create table refunds (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    order_id uuid not null,
    payment_id uuid not null,
    amount bigint not null check (amount > 0),
    -- The VAT share of `amount`, taken back from VAT payable.
    vat bigint not null check (vat >= 0 and vat <= amount),
    reason text not null check (length(reason) between 1 and 500),
    -- Whoever asked, and the manager who approved (by role or PIN) when one was needed.
    created_by uuid not null,
    approved_by uuid,
    created_at timestamptz not null default now(),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);
create index refunds_order_idx on refunds (tenant_id, order_id);
select sous_tenant_rls('refunds');
revoke update, delete, truncate on refunds from sous_app;
