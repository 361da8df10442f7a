-- Ordering (seed §2 Ordering): orders with their priced lines, status history, per-branch
-- daily order numbers, idempotency keys for checkout, and cash tenders.
--
-- Orders and their history are never deleted; a cancelled or voided order stays with its
-- reason. Prices are computed by the server from the branch menu and stored as they were.

create table order_counters (
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    -- The branch's local date: numbers start again at 1 each day.
    business_date date not null,
    last_number integer not null,
    primary key (branch_id, business_date),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);

create table orders (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    business_date date not null,
    number integer not null check (number > 0),
    channel text not null check (channel in ('pos', 'qr', 'web')),
    type text not null check (type in ('dine_in', 'takeaway', 'pickup', 'delivery')),
    status text not null default 'placed' check (status in (
        'placed', 'accepted', 'preparing', 'ready', 'served', 'picked_up', 'out_for_delivery',
        'delivered', 'closed', 'cancelled', 'voided')),
    table_ref text check (length(table_ref) between 1 and 40),
    -- Who placed it: a staff member, a customer, or a guest session.
    placed_by uuid not null,
    placed_by_kind text not null check (placed_by_kind in ('staff', 'customer', 'guest')),
    -- A client-generated id (an offline POS queues orders under it), unique per brand.
    client_ref uuid,
    scheduled_for timestamptz,
    notes text check (length(notes) <= 500),
    currency char(3) not null,
    -- The pricing result (lines, discounts, service charge, VAT, tip, totals) as computed.
    pricing jsonb not null,
    total bigint not null check (total >= 0),
    vat bigint not null check (vat >= 0),
    tip bigint not null default 0 check (tip >= 0),
    paid bigint not null default 0 check (paid >= 0),
    refunded bigint not null default 0 check (refunded >= 0 and refunded <= paid),
    status_reason text check (length(status_reason) <= 500),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, id),
    unique (branch_id, business_date, number),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create unique index orders_client_ref_key on orders (tenant_id, client_ref) where client_ref is not null;
create index orders_branch_time_idx on orders (tenant_id, branch_id, created_at desc);
create index orders_open_idx on orders (tenant_id, branch_id, status)
    where status not in ('closed', 'cancelled', 'voided');

create table order_lines (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    order_id uuid not null,
    position integer not null,
    product_id uuid not null,
    product_kind text not null check (product_kind in ('item', 'combo')),
    -- Names as sold (the menu may change later).
    name text not null,
    name_ar text,
    -- The guest's choices with their names and deltas, as sold.
    selection jsonb not null default '{}'::jsonb,
    quantity integer not null check (quantity between 1 and 999),
    unit_price bigint not null check (unit_price >= 0),
    gross bigint not null,
    discount bigint not null default 0,
    net bigint not null,
    vat bigint not null,
    notes text check (length(notes) <= 200),
    seat integer check (seat between 1 and 100),
    course integer check (course between 1 and 10),
    unique (order_id, position),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index order_lines_order_idx on order_lines (tenant_id, order_id);

create table order_status_history (
    id bigint generated always as identity primary key,
    tenant_id uuid not null references tenants (id),
    order_id uuid not null,
    from_status text,
    to_status text not null,
    reason text check (length(reason) <= 500),
    actor_id uuid,
    at timestamptz not null default now(),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index order_status_history_order_idx on order_status_history (tenant_id, order_id, id);

-- Tenders taken against an order. Cash only for now; the method column is where card and
-- online payments join.
create table payments (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    order_id uuid not null,
    method text not null check (method in ('cash', 'card', 'online')),
    status text not null check (status in ('captured', 'refunded', 'partially_refunded', 'voided')),
    -- Applied to the order.
    amount bigint not null check (amount > 0),
    -- Cash: what the guest handed over, and the change given back.
    tendered bigint check (tendered >= amount),
    change_given bigint check (change_given >= 0),
    refunded bigint not null default 0 check (refunded >= 0 and refunded <= amount),
    taken_by uuid,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index payments_order_idx on payments (tenant_id, order_id);

-- Checkout's idempotency keys: the first request with a key inserts the row and holds it
-- (locked) until it commits; a concurrent duplicate waits on the unique index, then reads the
-- stored answer. Kept at least 24 hours.
create table idempotency_keys (
    tenant_id uuid not null references tenants (id),
    key text not null check (length(key) between 8 and 200),
    -- SHA-256 of the request (method, path, principal, body): a different body → 422.
    request_hash bytea not null,
    response_status integer,
    response_body jsonb,
    created_at timestamptz not null default now(),
    primary key (tenant_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);

select sous_tenant_rls('order_counters', 'orders', 'order_lines', 'order_status_history', 'payments',
    'idempotency_keys');
revoke delete, truncate on orders, order_lines, order_status_history, payments from sous_app;
revoke update on order_lines, order_status_history from sous_app;

-- The seed's notify_order_change, in outbox form: a new order and every status change become
-- an `orders` event in the same transaction (the events table's own statement trigger sends
-- the NOTIFY), so the orders channel and the kitchen react, and a reconnecting client can
-- replay what it missed. The guest or customer who placed the order is its audience.
create function notify_order_change() returns trigger
    language plpgsql
    as $$
    begin
        if tg_op = 'UPDATE' and new.status is not distinct from old.status then
            return new;
        end if;
        insert into events (tenant_id, branch_id, channel, stream, type, audience, payload)
        values (new.tenant_id, new.branch_id, 'orders', 'order:' || new.id,
                'order.' || new.status,
                case when new.placed_by_kind in ('customer', 'guest') then new.placed_by end,
                jsonb_build_object('orderId', new.id, 'status', new.status, 'number', new.number,
                                   'type', new.type, 'table', new.table_ref,
                                   'total', new.total, 'time', now()));
        return new;
    end
    $$;
create trigger order_notify_trigger
    after insert or update of status on orders
    for each row execute function notify_order_change();

-- Finished keys are kept a day (the retry window promised to clients), then removed daily.
create or replace procedure sous_cleanup_tasks()
    language plpgsql
    as $$
    begin
        delete from task_queue where status = 'done' and finished_at < now() - interval '7 days';
        delete from task_queue where status = 'failed' and finished_at < now() - interval '30 days';
        delete from scheduled_runs where slot < now() - interval '30 days';
        delete from task_workers where last_seen < now() - interval '1 day';
        delete from idempotency_keys where created_at < now() - interval '48 hours';
    end
    $$;
