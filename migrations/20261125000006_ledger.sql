-- Payments' double-entry ledger (seed §2 Payments): every money movement is a journal entry
-- whose lines sum to zero. Amounts are minor units; a positive amount is a debit, a negative
-- one a credit. The database enforces the balance (a deferred constraint trigger checks each
-- entry at commit) and keeps the journal append-only.

create table ledger_accounts (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    -- NULL: a brand-wide account (revenue, VAT payable); a branch for drawers and clearing.
    branch_id uuid,
    -- A stable code: cash_drawer, card_clearing, online_clearing, receivable, sales_revenue,
    -- service_charge_revenue, delivery_revenue, discounts, refunds, vat_payable, tips_payable,
    -- cash_over_short, cash_float…
    code text not null check (code ~ '^[a-z][a-z0-9_]{1,49}$'),
    kind text not null check (kind in ('asset', 'liability', 'revenue', 'contra_revenue', 'expense', 'equity')),
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create unique index ledger_accounts_code_key on ledger_accounts (tenant_id, branch_id, code)
    nulls not distinct;

create table journal_entries (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid,
    -- sale, payment, refund, void, cash_in, cash_out, drawer_open, drawer_close…
    kind text not null check (kind ~ '^[a-z_]{2,40}$'),
    -- What the entry is about: ('order', id), ('payment', id), ('drawer_session', id)…
    reference_type text not null check (reference_type ~ '^[a-z_]{2,40}$'),
    reference_id uuid not null,
    memo text check (length(memo) <= 500),
    created_by uuid,
    occurred_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id)
);
create index journal_entries_reference_idx on journal_entries (tenant_id, reference_type, reference_id);
create index journal_entries_branch_time_idx on journal_entries (tenant_id, branch_id, occurred_at);

create table journal_lines (
    id bigint generated always as identity primary key,
    tenant_id uuid not null references tenants (id),
    entry_id uuid not null,
    account_id uuid not null,
    amount bigint not null check (amount <> 0),
    foreign key (tenant_id, entry_id) references journal_entries (tenant_id, id),
    foreign key (tenant_id, account_id) references ledger_accounts (tenant_id, id)
);
create index journal_lines_entry_idx on journal_lines (entry_id);
create index journal_lines_account_idx on journal_lines (account_id);

select sous_tenant_rls('ledger_accounts', 'journal_entries', 'journal_lines');

-- At commit, every entry that got lines (or was created) must have at least two lines summing
-- to zero. Deferred, so an entry and its lines can be written by separate statements of one
-- transaction; a transaction that breaks the rule fails to commit and writes nothing.
create function ledger_check_entry() returns trigger
    language plpgsql
    as $$
    declare
        -- Fired for both tables: the entry is `id` of one and `entry_id` of the other.
        v_entry uuid := (to_jsonb(new) ->> case when tg_table_name = 'journal_entries'
                                                then 'id' else 'entry_id' end)::uuid;
        v_lines integer;
        v_sum numeric;
    begin
        select count(*), coalesce(sum(amount), 0) into v_lines, v_sum
        from journal_lines where entry_id = v_entry;
        if v_lines < 2 or v_sum <> 0 then
            raise exception 'journal entry % does not balance (% lines, sum %)', v_entry, v_lines, v_sum
                using errcode = '23514', constraint = 'journal_entry_balanced';
        end if;
        return null;
    end
    $$;

create constraint trigger journal_entries_balanced
    after insert on journal_entries
    deferrable initially deferred
    for each row execute function ledger_check_entry();
create constraint trigger journal_lines_balanced
    after insert on journal_lines
    deferrable initially deferred
    for each row execute function ledger_check_entry();

-- Append-only, for the application and for the owner alike: a correction is a new entry.
create function ledger_append_only() returns trigger
    language plpgsql
    as $$
    begin
        raise exception 'the journal is append-only: post a correcting entry instead'
            using errcode = '42501';
    end
    $$;
create trigger journal_entries_append_only
    before update or delete on journal_entries
    for each row execute function ledger_append_only();
create trigger journal_lines_append_only
    before update or delete on journal_lines
    for each row execute function ledger_append_only();
revoke update, delete, truncate on journal_entries, journal_lines from sous_app;
