-- Fulfillment, delivery (seed §2 Fulfillment): delivery zones per branch and the delivery
-- details of an order (where to, which zone, what it cost, the hand-over code, the driver).
--
-- A zone is a polygon (sent as GeoJSON, stored as PostgreSQL's built-in `polygon` with
-- x = longitude, y = latitude, tested with `<@`) or a radius in metres around a centre (the
-- contrib `earthdistance` great-circle distance). Planar point-in-polygon on degrees is exact
-- enough at a city's scale, which is what a delivery zone is; PostGIS is not needed for it.
--
-- The zone look-up and the "is the branch open now" rule are SQL functions: the quote endpoint
-- (fulfillment) and checkout (ordering) call the same definition inside their transaction, and
-- ordering needs no dependency on fulfillment for it.

create extension if not exists cube;
create extension if not exists earthdistance;

create table delivery_zones (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    name text not null check (length(name) between 1 and 100),
    name_ar text check (length(name_ar) <= 100),
    -- Polygon zones: the GeoJSON as sent (for the map) and the polygon it describes.
    geojson jsonb,
    area polygon,
    -- Radius zones: a centre (by default the branch's location) and a distance in metres.
    center_lat double precision check (center_lat between -90 and 90),
    center_lng double precision check (center_lng between -180 and 180),
    radius_m integer check (radius_m between 50 and 100000),
    -- Minor units of the tenant's currency.
    fee bigint not null check (fee between 0 and 100000000),
    -- The least items total (before discounts) the zone delivers.
    minimum_order bigint not null default 0 check (minimum_order between 0 and 100000000),
    eta_minutes integer not null check (eta_minutes between 1 and 600),
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    constraint delivery_zones_one_shape check (
        (area is not null and geojson is not null and radius_m is null and center_lat is null
             and center_lng is null)
        or (area is null and geojson is null and radius_m is not null and center_lat is not null
             and center_lng is not null))
);
create index delivery_zones_branch_idx on delivery_zones (tenant_id, branch_id)
    where archived_at is null;

-- One row per delivery order, written by checkout in the order's transaction; the driver part
-- (assignment, acceptance, pick-up, hand-over) is filled in by fulfillment.
create table order_deliveries (
    order_id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    zone_id uuid not null,
    address text not null check (length(address) between 1 and 500),
    address_notes text check (length(address_notes) <= 300),
    lat double precision not null check (lat between -90 and 90),
    lng double precision not null check (lng between -180 and 180),
    -- As quoted when the order was placed (the zone may change later).
    fee bigint not null check (fee >= 0),
    eta_minutes integer not null check (eta_minutes > 0),
    -- Four digits the customer tells the driver at the door. Drawn from gen_random_uuid(),
    -- whose bits come from the strong random source (random() does not).
    handover_code text not null default lpad(
        ((('x' || left(replace(gen_random_uuid()::text, '-', ''), 8))::bit(32)::bigint) % 10000)::text,
        4, '0') check (handover_code ~ '^[0-9]{4}$'),
    created_at timestamptz not null default now(),
    unique (tenant_id, order_id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    foreign key (tenant_id, zone_id) references delivery_zones (tenant_id, id)
);
create index order_deliveries_branch_idx on order_deliveries (tenant_id, branch_id, created_at desc);

select sous_tenant_rls('delivery_zones', 'order_deliveries');
-- Zones are archived, never deleted (orders refer to them); deliveries are kept with the order.
revoke delete, truncate on delivery_zones, order_deliveries from sous_app;

-- Whether the branch takes orders at `p_at`: its status is `open` and, when it has opening
-- hours, `p_at` in the branch's time zone falls in one of the day's spans. A span whose end is
-- not after its start runs past midnight (["18:00", "02:00"]), so yesterday's late span counts
-- too. A branch without any hours set (`{}`) is open whenever its status says so.
create function branch_open_at(p_branch uuid, p_at timestamptz) returns boolean
    language sql stable
    as $$
    with b as (
        select status, opening_hours as hours, (p_at at time zone time_zone) as t
        from branches where id = p_branch
    )
    select coalesce((
        select b.status = 'open' and (
            b.hours = '{}'::jsonb
            or exists (
                select 1 from jsonb_array_elements(b.hours -> to_char(b.t, 'dy')) s
                where case when (s ->> 1)::time > (s ->> 0)::time
                           then b.t::time >= (s ->> 0)::time and b.t::time < (s ->> 1)::time
                           else b.t::time >= (s ->> 0)::time end)
            or exists (
                select 1 from jsonb_array_elements(b.hours -> to_char(b.t - interval '1 day', 'dy')) s
                where (s ->> 1)::time <= (s ->> 0)::time and b.t::time < (s ->> 1)::time))
        from b), false)
    $$;

-- The branch's zone that delivers to (p_lat, p_lng), if any: polygons by `<@` (a point on the
-- boundary is inside), radii by great-circle distance (on the circle is inside). Where zones
-- overlap the cheapest wins, then the fastest. Runs under the caller's RLS.
create function delivery_zone_at(p_branch uuid, p_lat double precision, p_lng double precision)
    returns table (zone_id uuid, name text, name_ar text, fee bigint, minimum_order bigint,
                   eta_minutes integer)
    language sql stable
    as $$
    select z.id, z.name, z.name_ar, z.fee, z.minimum_order, z.eta_minutes
    from delivery_zones z
    where z.branch_id = p_branch and z.archived_at is null
      and case when z.area is not null then point(p_lng, p_lat) <@ z.area
               else earth_distance(ll_to_earth(z.center_lat, z.center_lng),
                                   ll_to_earth(p_lat, p_lng)) <= z.radius_m end
    order by z.fee, z.eta_minutes, z.id
    limit 1
    $$;
