-- Fulfillment, drivers (seed §2 Fulfillment): shifts per branch, the assignment and progress of
-- each delivery, and drivers' location pings.
--
-- A driver is a staff member with the `driver` role (memberships). A driver is available at a
-- branch while on an open shift there and carrying no delivery that is not yet handed over.
--
-- Location is personal data: pings are stored rounded to 4 decimals (about 11 m), and they and
-- the position events derived from them are purged after two hours by a scheduled job.

create table driver_shifts (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    driver_id uuid not null references users (id),
    started_at timestamptz not null default now(),
    ended_at timestamptz,
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    check (ended_at is null or ended_at >= started_at)
);
-- One open shift per driver, whatever the branch.
create unique index driver_shifts_open_key on driver_shifts (tenant_id, driver_id)
    where ended_at is null;
create index driver_shifts_branch_idx on driver_shifts (tenant_id, branch_id) where ended_at is null;

create table driver_pings (
    id bigint generated always as identity primary key,
    tenant_id uuid not null references tenants (id),
    driver_id uuid not null references users (id),
    lat numeric(7, 4) not null check (lat between -90 and 90),
    lng numeric(7, 4) not null check (lng between -180 and 180),
    at timestamptz not null default now()
);
create index driver_pings_latest_idx on driver_pings (tenant_id, driver_id, at desc);
create index driver_pings_at_idx on driver_pings (at);

-- The delivery's progress: waiting for a driver → assigned → accepted → picked_up → delivered.
alter table order_deliveries
    add column status text not null default 'waiting'
        check (status in ('waiting', 'assigned', 'accepted', 'picked_up', 'delivered')),
    add column driver_id uuid references users (id),
    add column assigned_at timestamptz,
    add column accepted_at timestamptz,
    add column picked_up_at timestamptz,
    add column delivered_at timestamptz,
    -- Wrong hand-over codes tried: after five the driver must call the branch.
    add column handover_attempts integer not null default 0 check (handover_attempts >= 0),
    add constraint order_deliveries_driver_check
        check ((status = 'waiting') = (driver_id is null));
create index order_deliveries_driver_idx on order_deliveries (tenant_id, driver_id)
    where status in ('assigned', 'accepted', 'picked_up');

select sous_tenant_rls('driver_shifts', 'driver_pings');
revoke delete, truncate on driver_shifts from sous_app;

-- Every ten minutes (see `platform::scheduler::standard_jobs`): pings and the position events
-- made from them are kept two hours.
create function sous_purge_driver_pings(retention interval default interval '2 hours')
    returns bigint
    language sql as $$
        delete from events
        where channel = 'orders' and type = 'delivery.position' and created_at < now() - retention;
        with gone as (delete from driver_pings where at < now() - retention returning 1)
        select count(*) from gone;
    $$;
revoke all on function sous_purge_driver_pings(interval) from public;

-- Minutes until the door, estimated now. Before the driver leaves: the zone's ETA counted from
-- the order's time (at least a minute while it is on its way). After: the driver's great-circle
-- distance at 400 m a minute (24 km/h, city traffic), from their last ping.
create function delivery_eta_minutes(d order_deliveries, p_lat double precision,
                                     p_lng double precision) returns integer
    language sql stable
    as $$
    select case
        when d.status = 'delivered' then 0
        when d.status = 'picked_up' and p_lat is not null and p_lng is not null then
            greatest(1, ceil(earth_distance(ll_to_earth(p_lat, p_lng), ll_to_earth(d.lat, d.lng))
                             / 400.0))::integer
        else greatest(1, d.eta_minutes
                         - floor(extract(epoch from now() - d.created_at) / 60)::integer)
    end
    $$;
