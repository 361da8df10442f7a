-- Fulfillment, the kitchen part (seed §2 Fulfillment): stations per branch, routing of menu
-- items to stations, kitchen tickets (one per station per accepted order) with their item
-- lines, and per-branch kitchen settings.
--
-- Tickets are created by a trigger on the order's move to `accepted`, in the transaction that
-- accepts it: an acknowledged acceptance always has its tickets, and ordering needs no
-- knowledge of the kitchen (fulfillment depends on ordering, not the other way round).

create table kitchen_stations (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    -- Matched against the catalog item's `station` hint (the item's own routing).
    code text not null check (code ~ '^[a-z0-9_-]{1,30}$'),
    name text not null check (length(name) between 1 and 100),
    name_ar text check (length(name_ar) <= 100),
    -- `prep` stations receive tickets; the `expo` screen watches orders come together.
    kind text not null default 'prep' check (kind in ('prep', 'expo')),
    position integer not null default 0,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    unique (branch_id, code),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index kitchen_stations_tenant_idx on kitchen_stations (tenant_id, branch_id);

-- A category's default station at a branch (items without a matching hint go there).
create table kitchen_category_routes (
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    category_id uuid not null,
    station_id uuid not null,
    primary key (branch_id, category_id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, category_id) references categories (tenant_id, id),
    foreign key (tenant_id, station_id) references kitchen_stations (tenant_id, id) on delete cascade
);
create index kitchen_category_routes_tenant_idx on kitchen_category_routes (tenant_id);

create table kitchen_settings (
    branch_id uuid primary key,
    tenant_id uuid not null references tenants (id),
    -- How long after a bump the kitchen may recall (undo) it.
    recall_seconds integer not null default 120 check (recall_seconds between 0 and 3600),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index kitchen_settings_tenant_idx on kitchen_settings (tenant_id);

create table kitchen_tickets (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    order_id uuid not null,
    station_id uuid not null,
    -- held: every open item waits for its course to be fired; new → started → bumped.
    status text not null check (status in ('held', 'new', 'started', 'bumped')),
    rush boolean not null default false,
    created_at timestamptz not null default now(),
    -- When its current items reached the kitchen (creation, or the fire of a held course): the
    -- ticket's age is measured from here.
    fired_at timestamptz,
    started_at timestamptz,
    bumped_at timestamptz,
    updated_at timestamptz not null default now(),
    unique (tenant_id, id),
    -- One ticket per station per order: the trigger cannot create a second.
    unique (order_id, station_id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    foreign key (tenant_id, station_id) references kitchen_stations (tenant_id, id)
);
create index kitchen_tickets_open_idx on kitchen_tickets (tenant_id, branch_id, station_id)
    where status <> 'bumped';
create index kitchen_tickets_order_idx on kitchen_tickets (tenant_id, order_id);

create table kitchen_ticket_items (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    ticket_id uuid not null,
    order_line_id uuid not null,
    name text not null,
    name_ar text,
    quantity integer not null,
    -- The guest's choices as sold (the order line's selection).
    selection jsonb not null default '{}'::jsonb,
    notes text,
    seat integer,
    course integer,
    -- The item's prep-time target when the ticket was made (null: none set).
    prep_seconds integer,
    -- Waiting for its course to be fired (dine-in hold & fire).
    held boolean not null default false,
    done_at timestamptz,
    foreign key (tenant_id, ticket_id) references kitchen_tickets (tenant_id, id)
);
create index kitchen_ticket_items_ticket_idx on kitchen_ticket_items (tenant_id, ticket_id);

select sous_tenant_rls('kitchen_stations', 'kitchen_category_routes', 'kitchen_settings',
    'kitchen_tickets', 'kitchen_ticket_items');
revoke delete, truncate on kitchen_tickets, kitchen_ticket_items from sous_app;

-- Routing, in order: the item's station hint when the branch has a prep station of that code
-- (item override), else the category's route at the branch (category default), else the
-- branch's first prep station. A branch without prep stations gets no tickets.
create function kitchen_create_tickets() returns trigger
    language plpgsql
    as $$
    declare
        first_course integer;
        tk record;
    begin
        if new.status <> 'accepted' or (tg_op = 'UPDATE' and old.status = 'accepted') then
            return new;
        end if;
        -- Dine-in hold & fire: the lowest course goes to the kitchen now, later ones wait.
        select min(course) into first_course
        from order_lines where tenant_id = new.tenant_id and order_id = new.id;
        with lines as (
            select l.*,
                   i.station as hint, i.prep_seconds,
                   coalesce(i.category_id, c.category_id) as category_id,
                   (new.type = 'dine_in' and l.course is not null
                    and l.course > first_course) as held
            from order_lines l
            left join items i on l.product_kind = 'item' and i.id = l.product_id
            left join combos c on l.product_kind = 'combo' and c.id = l.product_id
            where l.tenant_id = new.tenant_id and l.order_id = new.id
        ), routed as (
            select l.*, coalesce(
                (select s.id from kitchen_stations s
                 where s.branch_id = new.branch_id and s.kind = 'prep' and s.code = l.hint),
                (select r.station_id from kitchen_category_routes r
                 where r.branch_id = new.branch_id and r.category_id = l.category_id),
                (select s.id from kitchen_stations s
                 where s.branch_id = new.branch_id and s.kind = 'prep'
                 order by s.position, s.code limit 1)) as station_id
            from lines l
        ), tickets as (
            insert into kitchen_tickets (id, tenant_id, branch_id, order_id, station_id, status,
                                         fired_at)
            select gen_random_uuid(), new.tenant_id, new.branch_id, new.id, station_id,
                   case when bool_and(held) then 'held' else 'new' end,
                   case when bool_and(held) then null else now() end
            from routed where station_id is not null
            group by station_id
            returning id, station_id
        )
        insert into kitchen_ticket_items (id, tenant_id, ticket_id, order_line_id, name, name_ar,
                                          quantity, selection, notes, seat, course, prep_seconds,
                                          held)
        select gen_random_uuid(), new.tenant_id, t.id, r.id, r.name, r.name_ar, r.quantity,
               r.selection, r.notes, r.seat, r.course, r.prep_seconds, r.held
        from routed r join tickets t using (station_id);

        -- One `kitchen` event per ticket, so each station's screen shows it at once.
        for tk in
            select k.id, k.status, s.code,
                   jsonb_agg(jsonb_build_object('name', ti.name, 'quantity', ti.quantity,
                                                'seat', ti.seat, 'course', ti.course,
                                                'held', ti.held) order by ti.course nulls first,
                                                ti.name) as items
            from kitchen_tickets k
            join kitchen_stations s on s.id = k.station_id
            join kitchen_ticket_items ti on ti.ticket_id = k.id
            where k.tenant_id = new.tenant_id and k.order_id = new.id
            group by k.id, k.status, s.code
        loop
            insert into events (tenant_id, branch_id, channel, stream, type, audience, payload)
            values (new.tenant_id, new.branch_id, 'kitchen', 'ticket:' || tk.id, 'ticket.created',
                    null,
                    jsonb_build_object('ticketId', tk.id, 'orderId', new.id, 'number', new.number,
                                       'station', tk.code, 'status', tk.status,
                                       'priority', 'normal', 'items', tk.items,
                                       'type', new.type, 'table', new.table_ref));
        end loop;
        return new;
    end
    $$;
create trigger kitchen_tickets_on_accept
    after insert or update of status on orders
    for each row execute function kitchen_create_tickets();
