-- Promo codes: a discount a guest types at checkout, valid for a window, with limits on total
-- uses, uses per customer and a minimum order. Each use is recorded with the order.
create table promo_codes (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    -- Matched case-insensitively; stored upper-case.
    code text not null check (code ~ '^[A-Z0-9_-]{3,40}$'),
    percent_bp integer check (percent_bp between 1 and 10000),
    amount bigint check (amount > 0),
    valid_from timestamptz not null,
    valid_until timestamptz not null,
    max_uses integer check (max_uses > 0),
    max_uses_per_customer integer check (max_uses_per_customer > 0),
    -- Minimum items subtotal (minor units) before the code applies.
    min_order bigint not null default 0 check (min_order >= 0),
    uses integer not null default 0 check (uses >= 0),
    archived_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    check ((percent_bp is null) <> (amount is null)),
    check (valid_from < valid_until),
    check (max_uses is null or uses <= max_uses)
);
create unique index promo_codes_code_key on promo_codes (tenant_id, code) where archived_at is null;

create table promo_redemptions (
    tenant_id uuid not null references tenants (id),
    promo_id uuid not null,
    order_id uuid not null,
    -- The customer or guest who used it.
    redeemed_by uuid not null,
    amount bigint not null check (amount >= 0),
    created_at timestamptz not null default now(),
    primary key (promo_id, order_id),
    foreign key (tenant_id, promo_id) references promo_codes (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index promo_redemptions_who_idx on promo_redemptions (promo_id, redeemed_by);

select sous_tenant_rls('promo_codes', 'promo_redemptions');
revoke delete, truncate on promo_codes, promo_redemptions from sous_app;
