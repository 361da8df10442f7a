-- The ledger never adds amounts of two currencies. Every journal entry is in one currency and
-- balances in it; every account holds one currency, so a brand selling in SAR and AED has a
-- SAR and an AED revenue account, VAT account and so on, and a line is in its account's
-- currency. Balances, the Z report and settlements are therefore per currency.
--
-- The database enforces it after every statement that writes journal lines (a statement-level
-- trigger over the new lines, below): each entry they touch has at least two lines, they sum to
-- zero and all of them are on accounts of the entry's currency. One check per statement, not
-- per line or per entry: a checkout batch's journal is one statement of `ledger_post`.

-- ---- the currency of accounts and entries, backfilled from the brand ------------------------
alter table ledger_accounts add column currency text references currencies (code);
update ledger_accounts a set currency = t.currency::text from tenants t where t.id = a.tenant_id;
alter table ledger_accounts alter column currency set not null;
drop index ledger_accounts_code_key;
create unique index ledger_accounts_code_key on ledger_accounts (tenant_id, branch_id, code, currency)
    nulls not distinct;

alter table journal_entries add column currency text;
-- The journal is append-only for everyone (migration 6); this one backfill is the exception.
alter table journal_entries disable trigger journal_entries_append_only;
update journal_entries e set currency = t.currency::text from tenants t where t.id = e.tenant_id;
alter table journal_entries enable trigger journal_entries_append_only;
alter table journal_entries
    alter column currency set not null,
    add constraint journal_entries_currency_check check (currency ~ '^[A-Z]{3}$');

-- ---- every statement's lines: balanced, in their entry's currency ---------------------------
create function ledger_check_lines() returns trigger
    language plpgsql as $$
declare
    v_bad text;
begin
    select format('journal entry %s does not balance in one currency (%s lines, sum %s, %s)',
                  t.entry_id, t.n, t.s, t.currencies)
      into v_bad
      from (select l.entry_id, count(*) as n, sum(l.amount) as s,
                   string_agg(distinct coalesce(a.currency, '?'), ', ') as currencies,
                   bool_and(a.currency is not distinct from e.currency and e.id is not null)
                       as same
              from journal_lines l
              left join journal_entries e on e.id = l.entry_id
              left join ledger_accounts a on a.id = l.account_id
             where l.entry_id in (select distinct entry_id from new_lines)
             group by l.entry_id) t
     where t.n < 2 or t.s <> 0 or not t.same
     limit 1;
    if v_bad is not null then
        raise exception '%', v_bad
            using errcode = 'check_violation', constraint = 'journal_entry_balanced';
    end if;
    return null;
end
$$;
create trigger journal_lines_balanced
    after insert on journal_lines
    referencing new table as new_lines
    for each statement execute function ledger_check_lines();

-- ---- ledger_post: entries in their currency, each written whole in one statement ------------
-- As migration 29's (with the search path 20261207000301 gave it), with each entry's
-- `currency` (required) choosing the accounts its lines go to. An entry and all its lines are
-- written by one statement — when an account is missing, none of the batch is written until the
-- accounts are made, then all of it — so the trigger above sees every entry complete.
create or replace function ledger_post(p_entries jsonb) returns void
    language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    v_tenant uuid := app_tenant_id();
    v_batch record;
    v_written integer;
begin
    -- Per entry: its lines, their sum, a zero line, its currency; for the batch: an entry of
    -- another brand, the first entry that is wrong, and how many lines there are in all.
    select count(*) filter (where (e ->> 'tenantId')::uuid is distinct from v_tenant) as foreign,
           coalesce(sum(p.n), 0) as lines,
           (array_agg(format('%s does not balance (%s lines, sum %s)', e ->> 'id', p.n, p.s))
               filter (where p.n < 2 or p.s <> 0 or p.zero))[1] as bad,
           (array_agg(e ->> 'id') filter (where coalesce(e ->> 'currency', '') !~ '^[A-Z]{3}$'))[1]
               as no_currency
      into v_batch
      from jsonb_array_elements(p_entries) e
      cross join lateral (
          select count(*) as n, coalesce(sum((x ->> 'amount')::bigint), 0) as s,
                 coalesce(bool_or((x ->> 'amount')::bigint = 0), false) as zero
            from jsonb_array_elements(e -> 'postings') x) p;
    -- Security definer (it writes past the app role's grants): only the caller's own tenant.
    if v_tenant is null or v_batch.foreign > 0 then
        raise exception 'a journal entry is written for the current tenant only'
            using errcode = 'insufficient_privilege';
    end if;
    if v_batch.bad is not null then
        raise exception 'journal entry %', v_batch.bad
            using errcode = 'check_violation', constraint = 'journal_entry_balanced';
    end if;
    if v_batch.no_currency is not null then
        raise exception 'journal entry % has no currency', v_batch.no_currency
            using errcode = 'check_violation', constraint = 'journal_entry_balanced';
    end if;
    if v_batch.lines = 0 then
        return;
    end if;

    for pass in 1..2 loop
        -- The batch's lines with their accounts (each side of the union one index probe;
        -- `is not distinct from` on branch_id would not use the index), written only when
        -- every account exists.
        with wanted as materialized (
            select (e ->> 'id')::uuid as entry_id, (x ->> 'amount')::bigint as amount, a.id
              from jsonb_array_elements(p_entries) e
              cross join lateral jsonb_array_elements(e -> 'postings') x
              left join lateral (
                  select id from ledger_accounts
                   where tenant_id = v_tenant and branch_id = (x ->> 'branchId')::uuid
                     and code = x ->> 'code' and currency = e ->> 'currency'
                  union all
                  select id from ledger_accounts
                   where x ->> 'branchId' is null and tenant_id = v_tenant and branch_id is null
                     and code = x ->> 'code' and currency = e ->> 'currency'
                  limit 1) a on true
        ), complete as (
            select bool_and(id is not null) as ok from wanted
        ), entries as (
            insert into journal_entries (id, tenant_id, branch_id, kind, reference_type,
                                         reference_id, memo, created_by, currency)
            select (e ->> 'id')::uuid, v_tenant, (e ->> 'branchId')::uuid, e ->> 'kind',
                   e ->> 'referenceType', (e ->> 'referenceId')::uuid, e ->> 'memo',
                   (e ->> 'createdBy')::uuid, e ->> 'currency'
              from jsonb_array_elements(p_entries) e
             where (select ok from complete)
        )
        insert into journal_lines (tenant_id, entry_id, account_id, amount)
        select v_tenant, w.entry_id, w.id, w.amount
          from wanted w
         where (select ok from complete);
        get diagnostics v_written = row_count;
        exit when v_written > 0 or pass = 2;

        -- First use of some account: make it (a concurrent first use is waited for, then
        -- skipped). The next pass is a new statement with a new snapshot: it sees the accounts
        -- another transaction made meanwhile.
        insert into ledger_accounts (id, tenant_id, branch_id, code, kind, currency)
        select (x ->> 'newId')::uuid, v_tenant, (x ->> 'branchId')::uuid, x ->> 'code',
               x ->> 'kind', e ->> 'currency'
          from jsonb_array_elements(p_entries) e, jsonb_array_elements(e -> 'postings') x
        on conflict (tenant_id, branch_id, code, currency) do nothing;
    end loop;
    if v_written <> v_batch.lines then
        raise exception 'journal entries: an account could not be made';
    end if;
end
$$;

-- ---- settlements are in their branch's currency ---------------------------------------------
alter table settlements add column currency text references currencies (code);
update settlements s set currency = b.currency from branches b where b.id = s.branch_id;
alter table settlements alter column currency set not null;
