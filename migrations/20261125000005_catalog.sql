-- Catalog: menus with day-parts, categories, items, modifier groups, combos, branch overrides,
-- images, full-text search, and the UNLOGGED menu cache (seed §2 Catalog, §3.3, §3.4).
--
-- Every table is tenant-owned with forced RLS, like the identity tables. Rows are archived
-- (archived_at), never deleted: orders keep pointing at the items they sold.

create extension if not exists pg_trgm;
-- GIN indexes that start with tenant_id, so a search touches one tenant's postings only.
create extension if not exists btree_gin;

-- Arabic spelling normalisation for search: alef forms (أ إ آ ٱ) → ا, alef maqsura ى → ي,
-- ta marbuta ة → ه, tatweel removed, harakat and other diacritics removed. Applied to both the
-- indexed text and the query, so "شاورما دجاج" finds "شاورما الدجاج" and spelling variants meet.
create function sous_normalize_ar(t text) returns text
    language sql immutable strict parallel safe
    as $$ select regexp_replace(translate(t, 'أإآٱىةـ', 'اااايه'), '[\u064B-\u065F\u0670]', '', 'g') $$;

-- Search highlights are HTML: the text is escaped before <mark> tags go in.
create function sous_html_escape(t text) returns text
    language sql immutable strict parallel safe
    as $$ select replace(replace(replace(replace(t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;') $$;

-- AND of tsqueries (the && operator as an aggregate), for one term per word of a query.
create aggregate tsquery_and_agg(tsquery) (sfunc = tsquery_and, stype = tsquery);

-- The tenant's catalog version: bumped by every catalog change (and the row lock serialises
-- a tenant's catalog writers). A cached menu built from an older version is stale.
create table catalog_state (
    tenant_id uuid primary key references tenants (id),
    version bigint not null default 0
);

-- Images, content-addressed by the SHA-256 of their bytes.
create table media (
    tenant_id uuid not null references tenants (id),
    sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp')),
    size integer not null check (size between 1 and 2097152),
    width integer not null check (width > 0),
    height integer not null check (height > 0),
    bytes bytea not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, sha256)
);

create table menus (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    -- Day-parts in the branch's local time: [{"days":[1..7 ISO],"start":"06:00","end":"11:30"}].
    -- Empty: all day. An end before the start runs past midnight.
    schedule jsonb not null default '[]'::jsonb check (jsonb_typeof(schedule) = 'array'),
    position integer not null default 0,
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, id)
);

create table categories (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    menu_id uuid not null,
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    description text check (length(description) <= 2000),
    description_ar text check (length(description_ar) <= 2000),
    image text,
    position integer not null default 0,
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, menu_id) references menus (tenant_id, id),
    foreign key (tenant_id, image) references media (tenant_id, sha256)
);
create index categories_menu_idx on categories (tenant_id, menu_id);

create table items (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    category_id uuid not null,
    sku text check (length(sku) between 1 and 64),
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    description text check (length(description) <= 2000),
    description_ar text check (length(description_ar) <= 2000),
    -- Minor units of the tenant's currency.
    price bigint not null check (price between 0 and 100000000),
    image text,
    calories integer check (calories between 0 and 20000),
    allergens text[] not null default '{}',
    dietary text[] not null default '{}',
    station text check (length(station) between 1 and 50),
    prep_seconds integer check (prep_seconds between 0 and 86400),
    active boolean not null default true,
    position integer not null default 0,
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- Name (weight A) beats description (weight B), in both languages.
    search_vector tsvector generated always as (
        setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
        setweight(to_tsvector('arabic', sous_normalize_ar(coalesce(name_ar, ''))), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B') ||
        setweight(to_tsvector('arabic', sous_normalize_ar(coalesce(description_ar, ''))), 'B')
    ) stored,
    -- Both names, lower-cased and normalised, for typo-tolerant trigram matching.
    search_name text generated always as (
        lower(name) || ' ' || sous_normalize_ar(coalesce(name_ar, ''))
    ) stored,
    unique (tenant_id, id),
    foreign key (tenant_id, category_id) references categories (tenant_id, id),
    foreign key (tenant_id, image) references media (tenant_id, sha256)
);
create unique index items_sku_key on items (tenant_id, sku) where archived_at is null;
create index items_category_idx on items (tenant_id, category_id);
create index items_search_idx on items using gin (tenant_id, search_vector);
create index items_search_name_idx on items using gin (tenant_id, search_name gin_trgm_ops);

create table modifier_groups (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    min_select integer not null default 0 check (min_select >= 0),
    max_select integer not null default 1 check (max_select between 1 and 50),
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    check (min_select <= max_select)
);

create table modifier_options (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    group_id uuid not null,
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    price_delta bigint not null default 0 check (price_delta between -100000000 and 100000000),
    is_default boolean not null default false,
    -- An option that is itself an item (an extra patty): its stock and 86 state apply.
    item_id uuid,
    position integer not null default 0,
    archived_at timestamptz,
    unique (tenant_id, id),
    foreign key (tenant_id, group_id) references modifier_groups (tenant_id, id),
    foreign key (tenant_id, item_id) references items (tenant_id, id)
);
create index modifier_options_group_idx on modifier_options (tenant_id, group_id);

create table item_modifier_groups (
    tenant_id uuid not null references tenants (id),
    item_id uuid not null,
    group_id uuid not null,
    position integer not null default 0,
    primary key (item_id, group_id),
    foreign key (tenant_id, item_id) references items (tenant_id, id),
    foreign key (tenant_id, group_id) references modifier_groups (tenant_id, id)
);
create index item_modifier_groups_tenant_idx on item_modifier_groups (tenant_id);

create table combos (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    category_id uuid not null,
    sku text check (length(sku) between 1 and 64),
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    description text check (length(description) <= 2000),
    description_ar text check (length(description_ar) <= 2000),
    price bigint not null check (price between 0 and 100000000),
    image text,
    active boolean not null default true,
    position integer not null default 0,
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, category_id) references categories (tenant_id, id),
    foreign key (tenant_id, image) references media (tenant_id, sha256)
);
create index combos_category_idx on combos (tenant_id, category_id);

-- A combo's slot: the guest picks exactly one of its choices. A fixed item is a slot with one.
create table combo_slots (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    combo_id uuid not null,
    name text not null check (length(name) between 1 and 200),
    name_ar text check (length(name_ar) <= 200),
    position integer not null default 0,
    unique (tenant_id, id),
    foreign key (tenant_id, combo_id) references combos (tenant_id, id)
);
create index combo_slots_combo_idx on combo_slots (tenant_id, combo_id);

create table combo_slot_choices (
    tenant_id uuid not null references tenants (id),
    slot_id uuid not null,
    item_id uuid not null,
    price_delta bigint not null default 0 check (price_delta between 0 and 100000000),
    is_default boolean not null default false,
    position integer not null default 0,
    primary key (slot_id, item_id),
    foreign key (tenant_id, slot_id) references combo_slots (tenant_id, id),
    foreign key (tenant_id, item_id) references items (tenant_id, id)
);
create index combo_slot_choices_tenant_idx on combo_slot_choices (tenant_id);

-- A branch's own price, visibility and "86" (sold out now) for an item.
create table branch_item_overrides (
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    item_id uuid not null,
    price bigint check (price between 0 and 100000000),
    hidden boolean not null default false,
    sold_out_at timestamptz,
    -- Who 86'd it; NULL for the system (the demo seed).
    sold_out_by uuid references users (id),
    updated_at timestamptz not null default now(),
    primary key (branch_id, item_id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, item_id) references items (tenant_id, id),
    check (sold_out_at is not null or sold_out_by is null)
);
create index branch_item_overrides_tenant_idx on branch_item_overrides (tenant_id);

create table branch_category_overrides (
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    category_id uuid not null,
    hidden boolean not null default false,
    primary key (branch_id, category_id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, category_id) references categories (tenant_id, id)
);
create index branch_category_overrides_tenant_idx on branch_category_overrides (tenant_id);

-- The menu a branch's guests see, as served: regenerable, so UNLOGGED (no WAL; emptied by a
-- crash, and the next read rebuilds it). `version` is the catalog version it was built from;
-- `valid_until` the next day-part boundary, after which "available now" has changed.
create unlogged table menu_cache (
    branch_id uuid primary key,
    tenant_id uuid not null,
    version bigint not null,
    etag text not null,
    body text not null,
    -- Items orderable now (not hidden, not 86'd, in a menu whose day-part is on): search
    -- filters by it, so results match the menu.
    item_ids uuid[] not null,
    valid_until timestamptz not null,
    built_at timestamptz not null default now()
);

-- Every tenant-owned table gets the same treatment: RLS enabled and forced, one policy on the
-- transaction's tenant. Later migrations call this for their tables.
create function sous_tenant_rls(variadic tables text[]) returns void
    language plpgsql
    as $f$
    declare
        t text;
    begin
        foreach t in array tables loop
            execute format('alter table %I enable row level security', t);
            execute format('alter table %I force row level security', t);
            execute format('create policy tenant_isolation on %I using (tenant_id = app_tenant_id()) '
                           'with check (tenant_id = app_tenant_id())', t);
        end loop;
    end
    $f$;
revoke all on function sous_tenant_rls(text[]) from public;

select sous_tenant_rls('catalog_state', 'media', 'menus', 'categories', 'items', 'modifier_groups',
    'modifier_options', 'item_modifier_groups', 'combos', 'combo_slots', 'combo_slot_choices',
    'branch_item_overrides', 'branch_category_overrides', 'menu_cache');

-- Public reads (menu, search, images) start from a branch id or an image hash, before any
-- tenant is known. These look-ups give just the tenant; the read itself then runs under RLS.
create function catalog_branch_tenant(p_branch_id uuid) returns uuid
    language sql stable security definer set search_path = pg_catalog, public
    as $$ select tenant_id from branches where id = p_branch_id and status <> 'archived' $$;

create function catalog_media(p_sha256 text)
    returns table (content_type text, bytes bytea)
    language sql stable security definer set search_path = pg_catalog, public
    as $$ select content_type, bytes from media where sha256 = p_sha256 limit 1 $$;

revoke all on function catalog_branch_tenant(uuid), catalog_media(text) from public;
grant execute on function catalog_branch_tenant(uuid), catalog_media(text) to sous_app;

-- The five-minute job: queue a rebuild of every open branch's menu (de-duplicated per branch),
-- which also moves menus across day-part boundaries. The worker does the building.
create or replace procedure sous_refresh_menu_cache()
    language plpgsql
    as $$
    begin
        insert into task_queue (tenant_id, kind, payload, dedup_key)
        select tenant_id, 'catalog.rebuild_menu', jsonb_build_object('branchId', id), 'menu:' || id
        from branches
        where status <> 'archived'
        on conflict (tenant_id, kind, dedup_key)
            where dedup_key is not null and status in ('pending', 'running')
            do nothing;
    end
    $$;
