-- Checkout by group commit without a round trip per order before its batch (docs/ordering.md
-- §2, "Group commit").
--   * Order numbers are claimed per batch: a run of consecutive numbers of the branch's day in
--     one statement, for all the batch's orders of that branch.
--   * The service charge is no longer read with the idempotency key: checkout keeps it with the
--     cached menu it prices from. A key's stored answer is read before pricing only on the
--     transactional path (`checkout_open`, which holds the key) — the batch finds the others —
--     and when an order cannot be placed as asked (a replay must still get its answer).
--   * `order_place_batch` takes the keys' locks in one statement, not one per key.
--   * Fewer index entries and foreign-key checks per order, where they guard nothing:
--       - journal lines lose their foreign key to their entry, and entries the (tenant, id)
--         key it referenced. Only `ledger_post` writes journal rows (the app role may not;
--         migration 27), and it makes each line from the entry it inserts in the same
--         statement, for the same brand; nothing may update or delete them. Five checks per
--         checkout, like the accounts' foreign key migration 27 dropped for the same reason.
--       - `order_lines_order_idx` (tenant, order) goes: `order_lines_order_id_position_key`
--         (order, position) answers every look-up of an order's lines (the brand comes from
--         row-level security as a filter on the same rows).

-- ---- order numbers, a run at a time ---------------------------------------------------------
-- The first of `p_count` consecutive numbers of the branch's business day (in its time zone),
-- and that day. Like the one-at-a-time claim it replaces: one statement on a connection with
-- `synchronous_commit = off`, outside any transaction, so the counter row is locked only while
-- it runs; security definer with the brand as an argument, checked against the branch.
create function sous_claim_order_numbers(p_tenant uuid, p_branch uuid, p_count integer)
    returns table (business_date date, first_number integer)
    language plpgsql security definer set search_path = pg_catalog, public as $$
#variable_conflict use_column
begin
    if p_count is null or p_count < 1 or p_count > 1000 then
        raise exception 'a claim is for 1 to 1000 numbers, not %', p_count
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    insert into order_counters as c (tenant_id, branch_id, business_date, last_number)
    select p_tenant, b.id, (now() at time zone b.time_zone)::date, p_count from branches b
    where b.id = p_branch and b.tenant_id = p_tenant and b.status <> 'archived'
    on conflict (branch_id, business_date)
        do update set last_number = c.last_number + p_count
    returning c.business_date, c.last_number - p_count + 1;
    if not found then
        raise exception 'branch % is not an open branch of brand %', p_branch, p_tenant
            using errcode = 'no_data_found';
    end if;
end
$$;
revoke all on function sous_claim_order_numbers(uuid, uuid, integer) from public;
grant execute on function sous_claim_order_numbers(uuid, uuid, integer) to sous_app;
drop function sous_claim_order_number(uuid, uuid);

-- ---- a key's stored answer --------------------------------------------------------------------
drop function checkout_open(text, uuid, text);
drop function checkout_facts(uuid, text, uuid, text);

-- The answer stored under an idempotency key: request hash, status and body (no row when none).
-- Security definer with the brand as an argument (sous passes the signed-in caller's), so it
-- runs on a pooled connection without a transaction; a key is a random UUID the client made,
-- and the answer is checked against the request's hash.
create function idempotency_answer(p_tenant uuid, p_key text)
    returns table (request_hash bytea, response_status integer, response_body jsonb)
    -- PL/pgSQL, not SQL: a security-definer SQL function is planned again at every call.
    language plpgsql stable security definer set search_path = pg_catalog, public as $$
#variable_conflict use_column
begin
    return query
    select k.request_hash, k.response_status, k.response_body
      from idempotency_keys k
     where k.tenant_id = p_tenant and k.key = p_key;
end
$$;
revoke all on function idempotency_answer(uuid, text) from public;
grant execute on function idempotency_answer(uuid, text) to sous_app;

-- Holds the idempotency key for the transaction, then returns its stored answer, if any.
create function checkout_open(p_key text)
    returns table (request_hash bytea, response_status integer, response_body jsonb)
    language plpgsql as $$
begin
    -- Keys of different brands may hash alike: they only wait for each other, never mix.
    perform pg_advisory_xact_lock(hashtextextended(app_tenant_id()::text || '/' || p_key, 0));
    -- A new statement, so a new snapshot: it sees a row committed while this one waited.
    return query select * from idempotency_answer(app_tenant_id(), p_key);
end
$$;

-- ---- the batch's keys, locked in one statement ------------------------------------------------
create or replace function order_place_batch(p_batch jsonb)
    returns table (batch_position integer, answer jsonb)
    language plpgsql as $$
#variable_conflict use_column
declare
    v_tenant uuid := app_tenant_id();
    v_done text[];
    v_posted integer;
begin
    -- In hash order, so two batches never wait for each other in a circle (the subquery's
    -- order is the order the locks are taken in).
    perform pg_advisory_xact_lock(h)
       from (select distinct hashtextextended(v_tenant::text || '/' || (b ->> 'key'), 0) as h
               from jsonb_array_elements(p_batch) b
              where b ->> 'key' is not null
              order by h) keys;

    -- A new statement, so a new snapshot: it sees keys committed while this one waited. An
    -- array, not a join: one primary-key probe per key, whatever the planner guesses of a JSON
    -- array's length.
    select coalesce(array_agg(k.key), '{}') into v_done
      from idempotency_keys k
     where k.tenant_id = v_tenant
       and k.key = any (array(select b ->> 'key' from jsonb_array_elements(p_batch) b));
    if cardinality(v_done) > 0 then
        return query
        select (b.n - 1)::integer,
               jsonb_build_object('hash', encode(k.request_hash, 'hex'),
                                  'status', k.response_status, 'body', k.response_body)
          from jsonb_array_elements(p_batch) with ordinality b(x, n)
          join idempotency_keys k on k.tenant_id = v_tenant and k.key = b.x ->> 'key'
         where k.key = any (v_done) and b.x ->> 'key' = any (v_done);
    end if;

    with b as (
        select x, jsonb_populate_record(null::orders, x -> 'order') as o
          from jsonb_array_elements(p_batch) x
         where not coalesce(x ->> 'key' = any(v_done), false)
    ), placed as (
        insert into orders (id, tenant_id, branch_id, business_date, number, channel, type,
                            table_ref, placed_by, placed_by_kind, client_ref, scheduled_for,
                            notes, currency, pricing, total, vat, tip, paid, created_at,
                            updated_at)
        select (o).id, (o).tenant_id, (o).branch_id, (o).business_date, (o).number, (o).channel,
               (o).type, (o).table_ref, (o).placed_by, (o).placed_by_kind, (o).client_ref,
               (o).scheduled_for, (o).notes, (o).currency, (o).pricing, (o).total, (o).vat,
               (o).tip, coalesce((o).paid, 0), (o).created_at, (o).created_at
          from b
    ), lines as (
        insert into order_lines (id, tenant_id, order_id, position, product_id, product_kind,
                                 name, name_ar, selection, quantity, unit_price, gross, discount,
                                 net, vat, notes, seat, course)
        select l.id, (b.o).tenant_id, (b.o).id, l.position, l.product_id, l.product_kind,
               l.name, l.name_ar, l.selection, l.quantity, l.unit_price, l.gross, l.discount,
               l.net, l.vat, l.notes, l.seat, l.course
          from b cross join lateral jsonb_populate_recordset(null::order_lines, b.x -> 'lines') l
    ), history as (
        insert into order_status_history (tenant_id, order_id, from_status, to_status, actor_id,
                                          at)
        select (o).tenant_id, (o).id, null, 'placed', (o).placed_by, (o).created_at
          from b
    ), cash as (
        insert into payments (id, tenant_id, branch_id, order_id, method, status, amount,
                              tendered, change_given, taken_by, drawer_session_id, created_at)
        select p.id, (b.o).tenant_id, (b.o).branch_id, (b.o).id, p.method, p.status, p.amount,
               p.tendered, p.change_given, p.taken_by,
               (select s.id from drawer_sessions s
                 where s.device_id = (b.x -> 'payment' ->> 'device_id')::uuid
                   and s.status = 'open'),
               (b.o).created_at
          from b cross join lateral jsonb_populate_record(
                   null::payments,
                   case when jsonb_typeof(b.x -> 'payment') = 'object' then b.x -> 'payment' end) p
         where jsonb_typeof(b.x -> 'payment') = 'object'
    ), answers as (
        insert into idempotency_keys (tenant_id, key, request_hash, response_status,
                                      response_body)
        select (o).tenant_id, b.x ->> 'key', decode(b.x ->> 'hash', 'hex'),
               (b.x ->> 'status')::integer, b.x -> 'answer'
          from b
         where b.x ->> 'key' is not null
    )
    select 1 into v_posted
      from ledger_post((select coalesce(jsonb_agg(e), '[]')
                          from b cross join lateral jsonb_array_elements(b.x -> 'entries') e));
end
$$;

-- ---- fewer index entries and foreign-key checks ---------------------------------------------
alter table journal_lines drop constraint journal_lines_tenant_id_entry_id_fkey;
alter table journal_entries drop constraint journal_entries_tenant_id_id_key;
drop index order_lines_order_idx;
