-- Card tenders on a terminal. Work that calls out to a payment provider is split into steps with
-- a recorded recovery point: the attempt is committed here first (with our own reference, which
-- the provider uses as its idempotency key), then the provider is called, then the outcome is
-- written with its payment or refund and journal entry in a second transaction. An attempt left
-- `pending` (the process died between the steps) or `unknown` (the provider did not answer in
-- time) is resolved by asking the provider about the reference: by a retry of the same request
-- or by the `payments.resolve_attempt` task. Nothing is ever charged or refunded twice.
create table payment_attempts (
    -- Our reference towards the provider; the payment's (charge) or refund's (refund) id once
    -- it succeeded.
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    order_id uuid not null,
    kind text not null check (kind in ('charge', 'refund')),
    method text not null check (method in ('card', 'online')),
    -- Which integration handled it (`terminal_simulator`): an attempt is resolved by the
    -- provider that saw it, whatever the configuration says later.
    provider text not null check (length(provider) between 1 and 60),
    -- The terminal at the counter that took the card (as the device names it).
    terminal_id text check (length(terminal_id) between 1 and 60),
    -- Charges: the request's Idempotency-Key, so a retry finds its attempt.
    idempotency_key text check (length(idempotency_key) between 8 and 200),
    amount bigint not null check (amount > 0),
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    status text not null
        check (status in ('pending', 'unknown', 'succeeded', 'declined', 'failed', 'reversed')),
    -- Refunds: the payment given back against.
    payment_id uuid,
    -- What the provider hands back: an opaque reference, the card brand and last four digits.
    provider_ref text check (length(provider_ref) <= 200),
    card_brand text check (length(card_brand) <= 40),
    last4 text check (last4 ~ '^[0-9]{4}$'),
    decline_code text check (length(decline_code) <= 60),
    error text check (length(error) <= 500),
    reason text check (length(reason) between 1 and 500),
    approved_by uuid,
    created_by uuid not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, idempotency_key),
    check ((kind = 'refund') = (payment_id is not null and reason is not null)),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);
create index payment_attempts_order_idx on payment_attempts (tenant_id, order_id);
-- The sweep looks for attempts left open.
create index payment_attempts_open_idx on payment_attempts (created_at)
    where status in ('pending', 'unknown');
select sous_tenant_rls('payment_attempts');
revoke delete, truncate on payment_attempts from sous_app;

-- A captured card payment keeps the provider's reference and what may be shown of the card.
alter table payments add column provider text check (length(provider) between 1 and 60);
alter table payments add column provider_ref text check (length(provider_ref) <= 200);
alter table payments add column terminal_id text check (length(terminal_id) between 1 and 60);
alter table payments add column card_brand text check (length(card_brand) <= 40);
alter table payments add column last4 text check (last4 ~ '^[0-9]{4}$');
alter table payments add constraint payments_card_has_provider
    check (method = 'cash' or (provider is not null and provider_ref is not null));

-- The card-terminal SIMULATOR's own memory. A real terminal and its acquirer remember every
-- charge across a restart of sous; so must the simulator, or a retry after a crash could not
-- ask it what happened. These tables belong to the simulated provider, not to any brand: no
-- tenant column and no RLS, and nothing in sous but the simulator reads them.
create table simulator_terminal_charges (
    reference uuid primary key,
    provider_ref text unique,
    amount bigint not null check (amount > 0),
    currency text not null,
    state text not null check (state in ('authorized', 'captured', 'voided', 'declined')),
    decline_code text,
    captured bigint not null default 0 check (captured >= 0 and captured <= amount),
    refunded bigint not null default 0 check (refunded >= 0 and refunded <= captured),
    card_brand text,
    last4 text,
    created_at timestamptz not null default now(),
    check ((state = 'declined') = (provider_ref is null))
);
create table simulator_terminal_refunds (
    refund_reference uuid primary key,
    provider_ref text not null references simulator_terminal_charges (provider_ref),
    provider_refund_ref text not null unique,
    amount bigint not null check (amount > 0),
    created_at timestamptz not null default now()
);

-- Online payments through a hosted page: the attempt keeps the provider's session and the page
-- the guest is sent to.
alter table payment_attempts add column session_id text check (length(session_id) <= 200);
alter table payment_attempts add column redirect_url text check (length(redirect_url) <= 2000);
alter table payment_attempts add column return_url text check (length(return_url) <= 2000);

-- A webhook arrives before any tenant is known: this gives the tenant of the attempt it names;
-- the webhook is then handled under RLS.
create function payment_attempt_tenant(p_attempt_id uuid) returns uuid
    language sql stable security definer set search_path = pg_catalog, public
    as $$ select tenant_id from payment_attempts where id = p_attempt_id $$;
revoke all on function payment_attempt_tenant(uuid) from public;
grant execute on function payment_attempt_tenant(uuid) to sous_app;

-- Webhook deliveries seen, by their signature: a delivery replayed as is, within the timestamp
-- tolerance, is refused. Signatures only, no brand data. Rows older than the tolerance could
-- go; they are small and kept for the trail.
create table webhook_deliveries (
    provider text not null,
    replay_key text not null,
    received_at timestamptz not null default now(),
    primary key (provider, replay_key)
);
revoke update, truncate on webhook_deliveries from sous_app;

-- Webhook events acted on, by the provider's event id: a provider re-sending an event (signed
-- afresh) is answered 200 and changes nothing.
create table webhook_events (
    provider text not null,
    event_id text not null check (length(event_id) between 1 and 200),
    tenant_id uuid not null references tenants (id),
    attempt_id uuid not null,
    kind text not null,
    received_at timestamptz not null default now(),
    primary key (provider, event_id),
    foreign key (attempt_id) references payment_attempts (id)
);
select sous_tenant_rls('webhook_events');
revoke update, delete, truncate on webhook_events from sous_app;

-- The online-payment SIMULATOR's own memory (like the terminal simulator's above): sessions and
-- refunds as the hosted provider would remember them, surviving a restart of sous.
create table simulator_online_sessions (
    reference uuid primary key,
    session_id text not null unique,
    amount bigint not null check (amount > 0),
    currency text not null,
    return_url text not null,
    -- What the guest chose on the page (`approve`, `decline`), and the event it produced.
    outcome text check (outcome in ('approve', 'decline')),
    event jsonb,
    provider_ref text unique,
    refunded bigint not null default 0 check (refunded >= 0 and refunded <= amount),
    created_at timestamptz not null default now()
);
create table simulator_online_refunds (
    refund_reference uuid primary key,
    provider_ref text not null references simulator_online_sessions (provider_ref),
    provider_refund_ref text not null unique,
    amount bigint not null check (amount > 0),
    created_at timestamptz not null default now()
);
