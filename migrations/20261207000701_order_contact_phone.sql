-- A contact phone on the order (the restaurant calls about a pickup or a delivery), and the
-- phone a promo code was redeemed with. A code limited per customer used to count customer
-- accounts and refuse guests, yet an account is as free to make as a guest session; a phone
-- number is not. Phones are stored normalised to E.164 (the API normalises them), so one
-- number written two ways is one number.
alter table orders add column contact_phone text
    check (contact_phone ~ '^\+[1-9][0-9]{6,14}$');

alter table promo_redemptions add column phone text
    check (phone ~ '^\+[1-9][0-9]{6,14}$');
create index promo_redemptions_phone_idx on promo_redemptions (promo_id, phone)
    where phone is not null;

-- As migration checkout_answer_text made it, writing the order's contact phone too.
create or replace function order_place_batch(p_batch jsonb, p_answers text[])
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
                            updated_at, contact_phone)
        select (o).id, (o).tenant_id, (o).branch_id, (o).business_date, (o).number, (o).channel,
               (o).type, (o).table_ref, (o).placed_by, (o).placed_by_kind, (o).client_ref,
               (o).scheduled_for, (o).notes, (o).currency, (o).pricing, (o).total, (o).vat,
               (o).tip, coalesce((o).paid, 0), (o).created_at, (o).created_at, (o).contact_phone
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
