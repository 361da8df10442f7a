-- A checkout's answer is stored as the text sous sent (docs/ordering.md §2, "Group commit").
-- Profiled during the checkout benchmark, parsing the batch's jsonb argument took a sixth of
-- PostgreSQL's time, and the answer — the whole order as `POST /api/orders` returns it — is a
-- third of each order's JSON: it is only ever stored and handed back, never looked into by
-- SQL. So:
--   * `idempotency_keys.response_body` is `json` (text, checked for being JSON, not parsed into
--     a tree); sous sends its answer once, as it serialised it, and replays it as stored;
--   * `order_place_batch(p_batch, p_answers)` takes the answers beside the batch, the i-th
--     answer for the i-th order (1-based), no longer as the orders' `answer` field. Otherwise
--     it is migration 32's function.

alter table idempotency_keys alter column response_body type json using response_body::json;
-- A new type takes the default compression again: keep lz4 (migration 27; pglz took 2 % of the
-- machine's time in the checkout benchmark).
alter table idempotency_keys alter column response_body set compression lz4;

-- The stored answer under a key, now `json` (the return type changes: dropped and made again,
-- with checkout_open, which returns its rows).
drop function checkout_open(text);
drop function idempotency_answer(uuid, text);
create function idempotency_answer(p_tenant uuid, p_key text)
    returns table (request_hash bytea, response_status integer, response_body json)
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
    returns table (request_hash bytea, response_status integer, response_body json)
    language plpgsql as $$
begin
    -- Keys of different brands may hash alike: they only wait for each other, never mix.
    perform pg_advisory_xact_lock(hashtextextended(app_tenant_id()::text || '/' || p_key, 0));
    -- A new statement, so a new snapshot: it sees a row committed while this one waited.
    return query select * from idempotency_answer(app_tenant_id(), p_key);
end
$$;

-- ---- the batch, its answers beside it --------------------------------------------------------
drop function order_place_batch(jsonb);
create function order_place_batch(p_batch jsonb, p_answers text[])
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
                                  'status', k.response_status,
                                  'body', k.response_body::jsonb)
          from jsonb_array_elements(p_batch) with ordinality b(x, n)
          join idempotency_keys k on k.tenant_id = v_tenant and k.key = b.x ->> 'key'
         where k.key = any (v_done) and b.x ->> 'key' = any (v_done);
    end if;

    with b as (
        select x, n, jsonb_populate_record(null::orders, x -> 'order') as o
          from jsonb_array_elements(p_batch) with ordinality e(x, n)
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
               (b.x ->> 'status')::integer, p_answers[b.n]::json
          from b
         where b.x ->> 'key' is not null
    )
    select 1 into v_posted
      from ledger_post((select coalesce(jsonb_agg(e), '[]')
                          from b cross join lateral jsonb_array_elements(b.x -> 'entries') e));
end
$$;
revoke all on function order_place_batch(jsonb, text[]) from public;
grant execute on function order_place_batch(jsonb, text[]) to sous_app;
