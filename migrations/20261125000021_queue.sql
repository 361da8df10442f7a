-- Fulfillment, the queue (seed §2 Fulfillment, §5.2 `queue` channel): a branch's waitlist of
-- walk-in parties and its line of pickup orders, each entry with its position and an estimated
-- wait learnt from the branch's own recent entries.

create table queue_entries (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    kind text not null check (kind in ('party', 'pickup')),
    -- The party's name, or the pickup order's number as called out.
    name text not null check (length(name) between 1 and 80),
    -- People in the party, or items in the pickup order.
    size integer not null check (size between 1 and 999),
    -- Estimates are learnt per size class: 1–2, 3–4, 5–6, 7 and more.
    size_class smallint generated always as (least(4, (size + 1) / 2)) stored,
    phone text check (phone ~ '^\+?[0-9][0-9 ]{5,19}$'),
    order_id uuid,
    -- The guest (a guest session or a customer) who follows the entry on the `queue` channel.
    guest_id uuid,
    status text not null default 'waiting'
        check (status in ('waiting', 'seated', 'done', 'removed', 'no_show')),
    -- The entry's place in its line when it joined: the time it took, divided by it, is what
    -- one place in the line took.
    position_at_join integer not null check (position_at_join > 0),
    joined_at timestamptz not null default now(),
    ended_at timestamptz,
    created_by uuid,
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    check ((kind = 'pickup') = (order_id is not null)),
    check ((status = 'waiting') = (ended_at is null)),
    check (status not in ('seated') or kind = 'party'),
    check (status not in ('done') or kind = 'pickup')
);
create index queue_entries_waiting_idx on queue_entries (tenant_id, branch_id, kind, joined_at)
    where status = 'waiting';
create index queue_entries_history_idx on queue_entries (tenant_id, branch_id, kind, size_class, ended_at desc)
    where status in ('seated', 'done');
-- An order is in the pickup line once at a time.
create unique index queue_entries_order_key on queue_entries (order_id) where status = 'waiting';

select sous_tenant_rls('queue_entries');
revoke delete, truncate on queue_entries from sous_app;

-- The waiting entries of a branch with their position (per line, first come first served) and
-- estimated wait: position × the median time one place took over the branch's last 20 served
-- entries of the same line and size class (seated parties, handed-over pickups), else of the
-- same line, else five minutes a place until the branch has any history.
create function queue_estimates(p_branch uuid)
    returns table (entry_id uuid, "position" integer, estimated_wait_minutes integer)
    language sql stable
    as $$
    with waiting as (
        select e.id, e.kind, e.size_class,
               row_number() over (partition by e.kind order by e.joined_at, e.id)::integer as pos
        from queue_entries e
        where e.branch_id = p_branch and e.status = 'waiting'
    ),
    served as (
        select kind, size_class,
               extract(epoch from ended_at - joined_at) / position_at_join as per_place,
               row_number() over (partition by kind, size_class order by ended_at desc) as recent,
               row_number() over (partition by kind order by ended_at desc) as recent_in_line
        from queue_entries
        where branch_id = p_branch and status in ('seated', 'done')
    ),
    by_class as (
        select kind, size_class, percentile_cont(0.5) within group (order by per_place) as per_place
        from served where recent <= 20 group by kind, size_class
    ),
    by_line as (
        select kind, percentile_cont(0.5) within group (order by per_place) as per_place
        from served where recent_in_line <= 20 group by kind
    )
    select w.id, w.pos,
           greatest(1, round(w.pos * coalesce(c.per_place, l.per_place, 300) / 60))::integer
    from waiting w
    left join by_class c on c.kind = w.kind and c.size_class = w.size_class
    left join by_line l on l.kind = w.kind
    $$;
