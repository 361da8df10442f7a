-- Checkout's writes in one round trip (docs/ordering.md §2, "One write per checkout").
--
-- A checkout used to be ~20 statements; most of its cost was per statement (executor start,
-- protocol, row-level trigger and foreign-key work), not the rows themselves. Now:
--   * the ledger is written by one function, `ledger_post`, which checks the balance before it
--     writes — the app role can no longer insert journal rows any other way, so the database
--     still refuses an unbalanced entry, without a deferred trigger per journal line;
--   * `order_place` writes the order, its lines, status history, cash payment, journal entries
--     and the idempotency answer in one call;
--   * the order number's claim also answers the branch's business day;
--   * foreign keys that repeat another one are dropped: every `tenant_id → tenants` whose row
--     also has a composite (tenant_id, …) key to a parent of the same tenant. Each of those
--     took a share lock on the one tenants row in every checkout.

-- ---- redundant foreign keys ----------------------------------------------------------------
-- orders: (tenant_id, branch_id) → branches (tenant_id, id), branch_id not null.
alter table orders drop constraint orders_tenant_id_fkey;
-- (tenant_id, order_id) → orders (tenant_id, id), order_id not null.
alter table order_lines drop constraint order_lines_tenant_id_fkey;
alter table order_status_history drop constraint order_status_history_tenant_id_fkey;
alter table payments drop constraint payments_tenant_id_fkey;
-- (tenant_id, entry_id) → journal_entries (tenant_id, id), entry_id not null.
alter table journal_lines drop constraint journal_lines_tenant_id_fkey;

-- Stored JSON (pricing, answers, line selections) is compressed with lz4, far cheaper than
-- the default pglz on every checkout's write.
alter table orders alter column pricing set compression lz4;
alter table order_lines alter column selection set compression lz4;
alter table idempotency_keys alter column response_body set compression lz4;

-- ---- the ledger's one write path -----------------------------------------------------------
-- Entries as a JSON array, each {id, tenantId, branchId, kind, referenceType, referenceId, memo,
-- createdBy, postings: [{code, kind, branchId, newId, amount}]}, postings already merged per
-- account by the caller. Accounts are made on first use (newId is the id a new one gets).
create function ledger_post(p_entries jsonb) returns void
    language plpgsql security definer set search_path = pg_catalog, public as $$
declare
    v_tenant uuid := app_tenant_id();
    v_bad record;
    v_lines integer;
    v_written integer;
begin
    -- Security definer (it writes past the app role's grants): only the caller's own tenant.
    if v_tenant is null or exists (select from jsonb_array_elements(p_entries) e
                                    where (e ->> 'tenantId')::uuid is distinct from v_tenant) then
        raise exception 'a journal entry is written for the current tenant only'
            using errcode = 'insufficient_privilege';
    end if;
    select e ->> 'id' as id, count(x) as lines, coalesce(sum((x ->> 'amount')::bigint), 0) as sum
      into v_bad
      from jsonb_array_elements(p_entries) e
      left join lateral jsonb_array_elements(e -> 'postings') x on true
     group by 1
    having count(x) < 2 or coalesce(sum((x ->> 'amount')::bigint), 0) <> 0
        or coalesce(bool_or((x ->> 'amount')::bigint = 0), false)
     limit 1;
    if found then
        raise exception 'journal entry % does not balance (% lines, sum %)', v_bad.id, v_bad.lines, v_bad.sum
            using errcode = 'check_violation', constraint = 'journal_entry_balanced';
    end if;

    insert into journal_entries (id, tenant_id, branch_id, kind, reference_type, reference_id,
                                 memo, created_by)
    select (e ->> 'id')::uuid, v_tenant, (e ->> 'branchId')::uuid, e ->> 'kind',
           e ->> 'referenceType', (e ->> 'referenceId')::uuid, e ->> 'memo',
           (e ->> 'createdBy')::uuid
      from jsonb_array_elements(p_entries) e;

    -- The lines whose accounts exist (all of them, but for a brand's or branch's first entries
    -- on an account). Each side of the union is one index probe (`is not distinct from` on
    -- branch_id would not use the index).
    insert into journal_lines (tenant_id, entry_id, account_id, amount)
    select v_tenant, (e ->> 'id')::uuid, a.id, (x ->> 'amount')::bigint
      from jsonb_array_elements(p_entries) e
      cross join lateral jsonb_array_elements(e -> 'postings') x
      cross join lateral (
          select id from ledger_accounts
           where tenant_id = v_tenant and branch_id = (x ->> 'branchId')::uuid
             and code = x ->> 'code'
          union all
          select id from ledger_accounts
           where x ->> 'branchId' is null and tenant_id = v_tenant and branch_id is null
             and code = x ->> 'code'
          limit 1) a;
    get diagnostics v_written = row_count;
    select count(*) into v_lines
      from jsonb_array_elements(p_entries) e, jsonb_array_elements(e -> 'postings') x;
    if v_written = v_lines then
        return;
    end if;

    -- First use of some account: make it (a concurrent first use is waited for, then skipped),
    -- then write the lines still missing. New statements, new snapshots: they see the accounts
    -- another transaction made meanwhile.
    insert into ledger_accounts (id, tenant_id, branch_id, code, kind)
    select (x ->> 'newId')::uuid, v_tenant, (x ->> 'branchId')::uuid, x ->> 'code', x ->> 'kind'
      from jsonb_array_elements(p_entries) e, jsonb_array_elements(e -> 'postings') x
    on conflict (tenant_id, branch_id, code) do nothing;
    insert into journal_lines (tenant_id, entry_id, account_id, amount)
    select v_tenant, (e ->> 'id')::uuid, a.id, (x ->> 'amount')::bigint
      from jsonb_array_elements(p_entries) e
      cross join lateral jsonb_array_elements(e -> 'postings') x
      join ledger_accounts a
        on a.tenant_id = v_tenant and a.code = x ->> 'code'
       and a.branch_id is not distinct from (x ->> 'branchId')::uuid
     where not exists (select from journal_lines l
                        where l.entry_id = (e ->> 'id')::uuid and l.account_id = a.id);
    get diagnostics v_lines = row_count;
    if v_written + v_lines <> (select count(*) from jsonb_array_elements(p_entries) e,
                                                    jsonb_array_elements(e -> 'postings') x) then
        raise exception 'journal entries: an account could not be made';
    end if;
end
$$;
revoke all on function ledger_post(jsonb) from public;
grant execute on function ledger_post(jsonb) to sous_app;

-- Accounts are never removed or renumbered: journal lines name them. Lines no longer carry a
-- foreign key to them (below), so the app role may not change or delete them either.
revoke update, delete, truncate on ledger_accounts from sous_app;
-- journal_lines → ledger_accounts: every concurrent checkout posts to the same few accounts
-- (receivable, revenue, VAT, the drawer), and the key's check share-locks those rows in each of
-- them, turning every lock into a multixact shared by all. Lines are written only by
-- ledger_post, which takes each account id from the brand's own accounts, and accounts are
-- never deleted, so the check has nothing to catch.
alter table journal_lines drop constraint journal_lines_tenant_id_account_id_fkey;

-- The balance is checked by ledger_post before anything is written; the app role writes the
-- journal only through it, so the per-line deferred triggers have nothing left to catch.
drop trigger journal_entries_balanced on journal_entries;
drop trigger journal_lines_balanced on journal_lines;
drop function ledger_check_entry();
revoke insert on journal_entries, journal_lines from sous_app;

-- ---- order numbers with their business day --------------------------------------------------
-- As sous_claim_order_number, but the business day is the branch's own date now, in its time
-- zone, so a checkout needs no separate look-up of the branch. An archived branch takes no
-- orders.
create function sous_claim_order_number(p_tenant uuid, p_branch uuid)
    returns table (business_date date, number integer)
    language plpgsql security definer set search_path = pg_catalog, public as $$
#variable_conflict use_column
begin
    return query
    insert into order_counters as c (tenant_id, branch_id, business_date, last_number)
    select p_tenant, b.id, (now() at time zone b.time_zone)::date, 1 from branches b
    where b.id = p_branch and b.tenant_id = p_tenant and b.status <> 'archived'
    on conflict (branch_id, business_date)
        do update set last_number = c.last_number + 1
    returning c.business_date, c.last_number;
    if not found then
        raise exception 'branch % is not an open branch of brand %', p_branch, p_tenant
            using errcode = 'no_data_found';
    end if;
end
$$;
revoke all on function sous_claim_order_number(uuid, uuid) from public;
drop function sous_claim_order_number(uuid, uuid, date);
grant execute on function sous_claim_order_number(uuid, uuid) to sous_app;

-- ---- a priced order, written at once -------------------------------------------------------
-- Runs as the caller (RLS applies). p_order and p_lines are rows of orders and order_lines as
-- JSON (column names as keys); p_payment, when cash is taken with the order, a payments row
-- plus `device_id` (its open drawer session, if any, is the payment's); p_entries the journal
-- entries (ledger_post's shape). The idempotency key was claimed earlier in the transaction;
-- its answer is stored here.
create function order_place(p_order jsonb, p_lines jsonb, p_payment jsonb, p_entries jsonb,
                            p_key text, p_status integer, p_answer jsonb)
    returns void
    language plpgsql as $$
declare
    v_order orders;
begin
    v_order := jsonb_populate_record(null::orders, p_order);
    insert into orders (id, tenant_id, branch_id, business_date, number, channel, type, table_ref,
                        placed_by, placed_by_kind, client_ref, scheduled_for, notes, currency,
                        pricing, total, vat, tip, paid, created_at, updated_at)
    values (v_order.id, v_order.tenant_id, v_order.branch_id, v_order.business_date,
            v_order.number, v_order.channel, v_order.type, v_order.table_ref, v_order.placed_by,
            v_order.placed_by_kind, v_order.client_ref, v_order.scheduled_for, v_order.notes,
            v_order.currency, v_order.pricing, v_order.total, v_order.vat, v_order.tip,
            coalesce(v_order.paid, 0), v_order.created_at, v_order.created_at);

    insert into order_lines (id, tenant_id, order_id, position, product_id, product_kind, name,
                             name_ar, selection, quantity, unit_price, gross, discount, net, vat,
                             notes, seat, course)
    select l.id, v_order.tenant_id, v_order.id, l.position, l.product_id, l.product_kind, l.name,
           l.name_ar, l.selection, l.quantity, l.unit_price, l.gross, l.discount, l.net, l.vat,
           l.notes, l.seat, l.course
      from jsonb_populate_recordset(null::order_lines, p_lines) l;

    insert into order_status_history (tenant_id, order_id, from_status, to_status, actor_id, at)
    values (v_order.tenant_id, v_order.id, null, 'placed', v_order.placed_by,
            v_order.created_at);

    if p_payment is not null then
        insert into payments (id, tenant_id, branch_id, order_id, method, status, amount,
                              tendered, change_given, taken_by, drawer_session_id, created_at)
        select p.id, v_order.tenant_id, v_order.branch_id, v_order.id, p.method, p.status,
               p.amount, p.tendered, p.change_given, p.taken_by,
               (select s.id from drawer_sessions s
                 where s.device_id = (p_payment ->> 'device_id')::uuid and s.status = 'open'),
               v_order.created_at
          from jsonb_populate_record(null::payments, p_payment) p;
    end if;

    perform ledger_post(p_entries);

    update idempotency_keys set response_status = p_status, response_body = p_answer
     where tenant_id = v_order.tenant_id and key = p_key;
end
$$;
revoke all on function order_place(jsonb, jsonb, jsonb, jsonb, text, integer, jsonb) from public;
grant execute on function order_place(jsonb, jsonb, jsonb, jsonb, text, integer, jsonb) to sous_app;
