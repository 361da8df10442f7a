-- Ordering: who accepts the orders guests place, per branch and channel. An order accepted goes
-- to the kitchen (the kitchen's trigger makes its tickets), so a QR order or a paid website
-- order reaches the kitchen on its own instead of waiting for someone at a till.
--
-- The channels a guest orders through: a table's QR code (`qr`), the website for pickup
-- (`web_pickup`, any website order that is not a delivery) and for delivery (`web_delivery`).
-- The modes:
--   auto  — every order is accepted as it is placed;
--   paid  — an order paid online is accepted once it is paid; the others wait for staff;
--   staff — every order waits for staff.
-- An order that waits is cancelled when nobody accepted it within `timeout_minutes`, and the
-- guest is told (the `order.cancelled` event carries the reason).
-- Without a row a branch takes the defaults: QR `auto`, the website `paid`, ten minutes.

create table branch_order_acceptance (
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    channel text not null check (channel in ('qr', 'web_pickup', 'web_delivery')),
    mode text not null check (mode in ('auto', 'paid', 'staff')),
    timeout_minutes integer not null check (timeout_minutes between 1 and 120),
    updated_by uuid references users (id),
    updated_at timestamptz not null default now(),
    primary key (branch_id, channel),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index branch_order_acceptance_tenant_idx on branch_order_acceptance (tenant_id);
select sous_tenant_rls('branch_order_acceptance');
revoke truncate on branch_order_acceptance from sous_app;

-- The acceptance channel of an order (null: the till's own orders, which staff send). A guest
-- session orders through the `qr` channel whether it came from a table or the website, so the
-- order type tells them apart: at a table is dine-in.
create function order_acceptance_channel(p_channel text, p_type text) returns text
    language sql immutable
    as $$
        select case
            when p_channel not in ('qr', 'web') then null
            when p_type = 'delivery' then 'web_delivery'
            when p_channel = 'qr' and p_type = 'dine_in' then 'qr'
            else 'web_pickup'
        end
    $$;

-- The branch's rule for a channel, with the defaults where it set none.
create function order_acceptance_rule(p_branch uuid, p_channel text,
                                      out mode text, out timeout_minutes integer)
    language sql stable
    as $$
        select coalesce(a.mode, case when p_channel = 'qr' then 'auto' else 'paid' end),
               coalesce(a.timeout_minutes, 10)
        from (select) one
        left join branch_order_acceptance a on a.branch_id = p_branch and a.channel = p_channel
    $$;

-- Accepts the order when the branch's rule says so; otherwise, at placement, schedules the
-- time-out (`ordering.expire_unaccepted`, run by the task workers). Runs when the placing
-- transaction commits (a deferred trigger), after the order's lines are written, so the kitchen
-- gets every line; and again when a payment brings what was paid up to the total.
create function orders_accept_automatically() returns trigger
    language plpgsql
    as $$
    declare
        ch text := order_acceptance_channel(new.channel, new.type);
        r record;
        current_status text;
        current_paid bigint;
    begin
        if ch is null then
            return null;
        end if;
        -- A deferred trigger sees the row as inserted: read it as it is now.
        select status, paid into current_status, current_paid from orders where id = new.id;
        if current_status is distinct from 'placed' then
            return null;
        end if;
        r := order_acceptance_rule(new.branch_id, ch);
        if r.mode = 'auto' or (r.mode = 'paid' and new.total > 0 and current_paid >= new.total) then
            update orders set status = 'accepted', updated_at = now() where id = new.id;
            insert into order_status_history (tenant_id, order_id, from_status, to_status, reason)
            values (new.tenant_id, new.id, 'placed', 'accepted', 'accepted automatically');
        elsif tg_op = 'INSERT' then
            insert into task_queue (tenant_id, kind, payload, run_at, dedup_key)
            values (new.tenant_id, 'ordering.expire_unaccepted',
                    jsonb_build_object('orderId', new.id),
                    new.created_at + make_interval(mins => r.timeout_minutes),
                    'order:' || new.id)
            on conflict (tenant_id, kind, dedup_key)
                where dedup_key is not null and status in ('pending', 'running')
            do nothing;
        end if;
        return null;
    end
    $$;

create constraint trigger orders_accept_on_place
    after insert on orders
    deferrable initially deferred
    for each row when (new.status = 'placed' and new.channel in ('qr', 'web'))
    execute function orders_accept_automatically();

create trigger orders_accept_on_paid
    after update of paid on orders
    for each row when (new.status = 'placed' and new.channel in ('qr', 'web')
                       and new.paid >= new.total and old.paid < new.total)
    execute function orders_accept_automatically();
