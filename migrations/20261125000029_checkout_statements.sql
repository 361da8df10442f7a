-- Fewer statements per checkout (docs/ordering.md §2, "One write per checkout"). Each statement a
-- PL/pgSQL function runs costs tens of microseconds before it touches a row (executor start,
-- constraint expressions, opening the table and its indexes), more than writing the rows does.
-- Same functions, same signatures, same checks:
--   * ledger_post: one statement checks the whole batch (tenant, lines, balance) and counts its
--     lines, one writes the entries and their lines (5 statements before, 2 now);
--   * order_place: the order, its lines, first status, cash payment, idempotency answer and the
--     journal in one statement (6 before). Foreign keys and the orders triggers still run, at
--     the end of that statement, when every row is in.

create or replace function ledger_post(p_entries jsonb) returns void
    language plpgsql security definer set search_path = pg_catalog, public as $$
declare
    v_tenant uuid := app_tenant_id();
    v_batch record;
    v_written integer;
    v_more integer;
begin
    -- Per entry: its lines, their sum, a zero line; for the batch: an entry of another brand,
    -- the first entry that does not balance, and how many lines there are in all.
    select count(*) filter (where (e ->> 'tenantId')::uuid is distinct from v_tenant) as foreign,
           coalesce(sum(p.n), 0) as lines,
           (array_agg(format('%s does not balance (%s lines, sum %s)', e ->> 'id', p.n, p.s))
               filter (where p.n < 2 or p.s <> 0 or p.zero))[1] as bad
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

    -- The entries, and the lines whose accounts exist (all of them, but for a brand's or
    -- branch's first entries on an account). The lines' foreign key to their entry is checked
    -- at the end of the statement, when the entries are in. Each side of the union is one index
    -- probe (`is not distinct from` on branch_id would not use the index).
    with entries as (
        insert into journal_entries (id, tenant_id, branch_id, kind, reference_type, reference_id,
                                     memo, created_by)
        select (e ->> 'id')::uuid, v_tenant, (e ->> 'branchId')::uuid, e ->> 'kind',
               e ->> 'referenceType', (e ->> 'referenceId')::uuid, e ->> 'memo',
               (e ->> 'createdBy')::uuid
          from jsonb_array_elements(p_entries) e
    )
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
    if v_written = v_batch.lines then
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
    get diagnostics v_more = row_count;
    if v_written + v_more <> v_batch.lines then
        raise exception 'journal entries: an account could not be made';
    end if;
end
$$;

-- As 20261125000028's, in one statement. The journal is posted by the statement's own select
-- (ledger_post runs as the owner; the rows here run as the caller, under row-level security).
create or replace function order_place(p_order jsonb, p_lines jsonb, p_payment jsonb,
                                       p_entries jsonb, p_key text, p_hash bytea,
                                       p_status integer, p_answer jsonb)
    returns void
    language plpgsql as $$
declare
    v_order orders;
    v_posted integer;
begin
    v_order := jsonb_populate_record(null::orders, p_order);
    with placed as (
        insert into orders (id, tenant_id, branch_id, business_date, number, channel, type,
                            table_ref, placed_by, placed_by_kind, client_ref, scheduled_for,
                            notes, currency, pricing, total, vat, tip, paid, created_at,
                            updated_at)
        values (v_order.id, v_order.tenant_id, v_order.branch_id, v_order.business_date,
                v_order.number, v_order.channel, v_order.type, v_order.table_ref,
                v_order.placed_by, v_order.placed_by_kind, v_order.client_ref,
                v_order.scheduled_for, v_order.notes, v_order.currency, v_order.pricing,
                v_order.total, v_order.vat, v_order.tip, coalesce(v_order.paid, 0),
                v_order.created_at, v_order.created_at)
    ), lines as (
        insert into order_lines (id, tenant_id, order_id, position, product_id, product_kind,
                                 name, name_ar, selection, quantity, unit_price, gross, discount,
                                 net, vat, notes, seat, course)
        select l.id, v_order.tenant_id, v_order.id, l.position, l.product_id, l.product_kind,
               l.name, l.name_ar, l.selection, l.quantity, l.unit_price, l.gross, l.discount,
               l.net, l.vat, l.notes, l.seat, l.course
          from jsonb_populate_recordset(null::order_lines, p_lines) l
    ), history as (
        insert into order_status_history (tenant_id, order_id, from_status, to_status, actor_id,
                                          at)
        values (v_order.tenant_id, v_order.id, null, 'placed', v_order.placed_by,
                v_order.created_at)
    ), cash as (
        insert into payments (id, tenant_id, branch_id, order_id, method, status, amount,
                              tendered, change_given, taken_by, drawer_session_id, created_at)
        select p.id, v_order.tenant_id, v_order.branch_id, v_order.id, p.method, p.status,
               p.amount, p.tendered, p.change_given, p.taken_by,
               (select s.id from drawer_sessions s
                 where s.device_id = (p_payment ->> 'device_id')::uuid and s.status = 'open'),
               v_order.created_at
          from jsonb_populate_record(null::payments, p_payment) p
         where p_payment is not null
    ), answer as (
        insert into idempotency_keys (tenant_id, key, request_hash, response_status,
                                      response_body)
        select v_order.tenant_id, p_key, p_hash, p_status, p_answer
         where p_key is not null
    )
    select 1 into v_posted from ledger_post(p_entries);
end
$$;
