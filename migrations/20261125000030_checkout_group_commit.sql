-- Group commit for checkout (docs/ordering.md §2, "Group commit"). Concurrent checkouts of one
-- caller are written together: one transaction, one statement and one WAL flush for all of
-- them, instead of a transaction, statements and a flush each. What an order costs the
-- database then is mostly its own rows.

-- ---- before pricing, outside any transaction -----------------------------------------------
-- What checkout needs before it prices, in one statement on a pooled connection: the answer
-- stored under the idempotency key (nulls when none) and the branch's service charge for the
-- order type in basis points (0 when none). Security definer with the brand as an argument,
-- like sous_claim_order_number: sous passes the brand of the signed-in caller; a key is a
-- random UUID the client made, and the answer is checked against the request's hash.
create function checkout_facts(p_tenant uuid, p_key text, p_branch uuid, p_type text)
    returns table (request_hash bytea, response_status integer, response_body jsonb,
                   service_charge_bp integer)
    -- PL/pgSQL, not SQL: a security-definer SQL function is planned again at every call.
    language plpgsql stable security definer set search_path = pg_catalog, public as $$
#variable_conflict use_column
begin
    return query
    select k.request_hash, k.response_status, k.response_body,
           coalesce((select s.rate_bp from branch_service_charges s
                      where s.tenant_id = p_tenant and s.branch_id = p_branch
                        and p_type = any(s.order_types)), 0)
      from (select 1) one
      left join idempotency_keys k on k.tenant_id = p_tenant and k.key = p_key;
end
$$;
revoke all on function checkout_facts(uuid, text, uuid, text) from public;
grant execute on function checkout_facts(uuid, text, uuid, text) to sous_app;

-- ---- many orders, one statement ------------------------------------------------------------
-- p_batch: a JSON array of orders, each {order, lines, payment, entries, key, hash, status,
-- answer} (order_place's arguments; hash in hex). Runs as the caller (RLS applies). Each key is
-- held for the transaction (the advisory lock of checkout_open), taken in one order so two
-- batches never wait for each other in a circle. An order whose key was answered meanwhile —
-- a concurrent request with the same key committed first — is not written: its position
-- (0-based) comes back with the stored {hash, status, body}, for the caller to answer with.
-- Every other order is written: the order, its lines, first status, cash payment, the key's
-- row with its answer, and all the batch's journal entries in one ledger_post.
create function order_place_batch(p_batch jsonb)
    returns table (batch_position integer, answer jsonb)
    language plpgsql as $$
#variable_conflict use_column
declare
    v_tenant uuid := app_tenant_id();
    v_lock bigint;
    v_done text[];
    v_posted integer;
begin
    for v_lock in
        select distinct hashtextextended(v_tenant::text || '/' || (b ->> 'key'), 0) as h
          from jsonb_array_elements(p_batch) b
         where b ->> 'key' is not null
         order by h
    loop
        perform pg_advisory_xact_lock(v_lock);
    end loop;

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
revoke all on function order_place_batch(jsonb) from public;
grant execute on function order_place_batch(jsonb) to sous_app;

-- One order, as before (the checkout paths that take a cart, a delivery, a promo code or a
-- client ref, and the checks made by splits and merges): a batch of one. Its key is held since
-- checkout_open, so it is not found answered here.
create or replace function order_place(p_order jsonb, p_lines jsonb, p_payment jsonb,
                                       p_entries jsonb, p_key text, p_hash bytea,
                                       p_status integer, p_answer jsonb)
    returns void
    language plpgsql as $$
begin
    perform order_place_batch(jsonb_build_array(jsonb_build_object(
        'order', p_order, 'lines', p_lines, 'payment', p_payment, 'entries', p_entries,
        'key', p_key, 'hash', encode(p_hash, 'hex'), 'status', p_status, 'answer', p_answer)));
end
$$;

-- ---- one event statement per batch ---------------------------------------------------------
-- New orders' `orders` events come from a statement-level trigger: one insert into events for
-- all the orders of a statement, instead of one per order row. Status changes keep the row
-- trigger (an update changes one order).
drop trigger order_notify_trigger on orders;
create trigger order_notify_trigger
    after update of status on orders
    for each row execute function notify_order_change();

create function notify_orders_placed() returns trigger
    language plpgsql as $$
begin
    insert into events (tenant_id, branch_id, channel, stream, type, audience, payload)
    select n.tenant_id, n.branch_id, 'orders', 'order:' || n.id, 'order.' || n.status,
           case when n.placed_by_kind in ('customer', 'guest') then n.placed_by end,
           jsonb_build_object('orderId', n.id, 'status', n.status, 'number', n.number,
                              'type', n.type, 'table', n.table_ref, 'total', n.total,
                              'time', now())
      from placed n
     order by n.id;
    return null;
end
$$;
create trigger orders_placed_events
    after insert on orders
    referencing new table as placed
    for each statement execute function notify_orders_placed();
