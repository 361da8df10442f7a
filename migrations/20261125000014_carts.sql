-- Dining tables and server-side carts (seed §2 Ordering): a branch's tables with their floor
-- area and an unguessable QR token; carts for every channel (the POS, a guest at a table, the
-- website), one open cart per table shared by everyone who scans its QR; cart lines with who
-- added them and the unit price they saw; and the cart's members.

create table dining_tables (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    label text not null check (length(label) between 1 and 40),
    floor_area text check (length(floor_area) between 1 and 60),
    seats integer not null check (seats between 1 and 100),
    -- What the table's QR code carries (URL-safe base64 of 24 random bytes). A new token makes
    -- the old QR code stop working.
    qr_token text not null check (qr_token ~ '^[A-Za-z0-9_-]{32}$'),
    -- Out of service for now (its QR code answers 404 until it is active again).
    active boolean not null default true,
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create unique index dining_tables_qr_token_key on dining_tables (qr_token);
create unique index dining_tables_label_key on dining_tables (branch_id, lower(label))
    where archived_at is null;

create table carts (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    channel text not null check (channel in ('pos', 'qr', 'web')),
    -- The order type checkout will place.
    type text not null check (type in ('dine_in', 'takeaway', 'pickup', 'delivery')),
    table_id uuid,
    -- Who opened it: a staff member, a customer or a guest session.
    owner_id uuid not null,
    owner_kind text not null check (owner_kind in ('staff', 'customer', 'guest')),
    status text not null default 'open' check (status in ('open', 'checked_out', 'abandoned')),
    -- Bumped by every change; a client may send it back in `If-Match` to change only the cart
    -- it saw.
    version integer not null default 1 check (version > 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, table_id) references dining_tables (tenant_id, id),
    check (channel <> 'qr' or table_id is not null),
    check (table_id is null or type = 'dine_in')
);
-- Everyone who scans a table's QR code joins the same cart.
create unique index carts_open_table_key on carts (table_id)
    where status = 'open' and table_id is not null;
create index carts_branch_idx on carts (tenant_id, branch_id, status);

create table cart_members (
    tenant_id uuid not null references tenants (id),
    cart_id uuid not null,
    member_id uuid not null,
    member_kind text not null check (member_kind in ('staff', 'customer', 'guest')),
    display_name text not null check (length(display_name) between 1 and 60),
    joined_at timestamptz not null default now(),
    primary key (cart_id, member_id),
    foreign key (tenant_id, cart_id) references carts (tenant_id, id)
);

create table cart_lines (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    cart_id uuid not null,
    product_id uuid not null,
    product_kind text not null check (product_kind in ('item', 'combo')),
    -- Names as on the menu when added, so the table still sees what a line was after the item
    -- is hidden or archived.
    name text not null,
    name_ar text,
    -- The guest's choices as ids (`{"options": [...], "slots": [...]}`), checked again at
    -- checkout against the menu of that moment.
    selection jsonb not null default '{}'::jsonb,
    quantity integer not null check (quantity between 1 and 999),
    notes text check (length(notes) <= 200),
    seat integer check (seat between 1 and 100),
    course integer check (course between 1 and 10),
    added_by uuid not null,
    added_by_name text not null check (length(added_by_name) between 1 and 60),
    -- The unit price (with modifiers and upcharges) the guest saw when adding or last changing
    -- the line; checkout refuses the line when the menu's price differs.
    unit_price bigint not null check (unit_price >= 0),
    -- Set when the line went into an order.
    order_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (tenant_id, cart_id) references carts (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index cart_lines_cart_idx on cart_lines (tenant_id, cart_id);

select sous_tenant_rls('dining_tables', 'carts', 'cart_members', 'cart_lines');
-- Tables are archived and carts abandoned, never deleted; lines are removed while open.
revoke delete, truncate on dining_tables, carts, cart_members from sous_app;

-- A QR code is scanned before any brand is known: this look-up gives just the tenant of an
-- active table; the read itself then runs under RLS.
create function dining_table_tenant(p_token text) returns uuid
    language sql stable security definer set search_path = pg_catalog, public
    as $$ select tenant_id from dining_tables
          where qr_token = p_token and active and archived_at is null $$;
revoke all on function dining_table_tenant(text) from public;
grant execute on function dining_table_tenant(text) to sous_app;
