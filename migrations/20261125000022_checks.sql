-- Merging and splitting checks (docs/ordering.md §16).
--
-- Order lines are never updated, so a check is split or merged by ending the old orders with
-- the new final statuses `split` and `merged` and placing new orders that carry copies of
-- their lines; `order_links` says which order became which. An equal split does not make new
-- orders: it divides the one check's total into payment shares (`order_shares`).

alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check check (status in (
    'placed', 'accepted', 'preparing', 'ready', 'served', 'picked_up', 'out_for_delivery',
    'delivered', 'closed', 'cancelled', 'voided', 'split', 'merged'));

-- Which order became which: a split links the old order to each new check, a merge links each
-- old order to the merged check.
create table order_links (
    tenant_id uuid not null references tenants (id),
    from_order_id uuid not null,
    to_order_id uuid not null,
    kind text not null check (kind in ('split', 'merge')),
    created_by uuid not null,
    created_at timestamptz not null default now(),
    primary key (from_order_id, to_order_id),
    foreign key (tenant_id, from_order_id) references orders (tenant_id, id),
    foreign key (tenant_id, to_order_id) references orders (tenant_id, id)
);
create index order_links_to_idx on order_links (tenant_id, to_order_id);

-- An equal split: the check's total in `parts` shares, the halalas that do not divide evenly
-- one each on the first shares. Splitting again replaces the shares.
create table order_shares (
    tenant_id uuid not null references tenants (id),
    order_id uuid not null,
    position integer not null check (position between 1 and 20),
    amount bigint not null check (amount >= 0),
    created_by uuid not null,
    created_at timestamptz not null default now(),
    primary key (order_id, position),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index order_shares_tenant_idx on order_shares (tenant_id, order_id);

select sous_tenant_rls('order_links', 'order_shares');
revoke update, delete, truncate on order_links from sous_app;
revoke update, truncate on order_shares from sous_app;
