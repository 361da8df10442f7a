-- Domain events: the outbox every context writes in the same transaction as the change it
-- describes, and the source the SSE hub replays from.
--
-- Delivery order is (tx_id, id): `id` alone is not enough because transactions commit out of id
-- order, so a reader that took `id > last` could skip an id committed later. A reader takes
-- only events whose transaction is older than its snapshot's xmin (finished for sure), in
-- (tx_id, id) order, so nothing is skipped and nothing is read twice.

create table events (
    id bigint generated always as identity primary key,
    tx_id xid8 not null default pg_current_xact_id(),
    tenant_id uuid not null references tenants (id),
    branch_id uuid,
    channel text not null
        check (channel in ('orders', 'kitchen', 'queue', 'notifications', 'inventory', 'catalog')),
    -- The aggregate the event belongs to, e.g. `order:<uuid>`; order is kept per stream.
    stream text not null check (length(stream) between 1 and 200),
    type text not null check (length(type) between 1 and 100),
    -- The customer or guest the event is for (their own orders, queue entries,
    -- notifications); NULL for staff-only events.
    audience uuid,
    payload jsonb not null default '{}'::jsonb
        check (jsonb_typeof(payload) = 'object' and octet_length(payload::text) <= 7000),
    created_at timestamptz not null default now()
);
create index events_position_idx on events (tx_id, id);
create index events_created_idx on events (created_at);
alter table events enable row level security;
alter table events force row level security;
create policy tenant_isolation on events
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- Append-only for the application; pruning runs as the owner.
revoke update, delete, truncate on events from sous_app;

-- One NOTIFY per inserting statement, carrying only the highest new id: a transaction that
-- NOTIFYs takes a global lock at commit, so never one per row.
create function events_notify() returns trigger
    language plpgsql as $$
begin
    perform pg_notify('sous_events', (select max(id)::text from inserted));
    return null;
end
$$;
create trigger events_notify after insert on events
    referencing new table as inserted
    for each statement execute function events_notify();

-- Single-use SSE tickets: a ticket's id is recorded when it is used.
create table sse_ticket_uses (
    jti uuid primary key,
    used_at timestamptz not null default now()
);
grant select, insert, delete on sse_ticket_uses to sous_app;

-- Removes events older than the retention window, and used SSE tickets long expired (called
-- by the scheduler).
create function sous_prune_events(retention interval default interval '7 days') returns bigint
    language sql as $$
        delete from sse_ticket_uses where used_at < now() - interval '1 hour';
        with gone as (delete from events where created_at < now() - retention returning 1)
        select count(*) from gone;
    $$;
