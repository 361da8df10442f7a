-- A lighter checkout (docs/ordering.md §2, "One write per checkout"): what each checkout paid
-- for without needing it.
--   * The idempotency key was inserted when claimed and updated with the answer at the end:
--     two row versions and their index entries per order. A key is now held by a
--     transaction-scoped advisory lock while its request runs, and its row is written once,
--     with the answer, by `order_place`.
--   * The branch's service charge was its own round trip; it rides with the key's look-up.
--   * Foreign keys to `tenants` on rows whose tenant is the session's by row-level security,
--     on tables written in every checkout (below).
--   * The kitchen's trigger ran a PL/pgSQL call for every new order only to return at once.

-- ---- idempotency: a lock while running, one write when done --------------------------------
-- What checkout needs before it prices: the stored answer under this key, if any, after waiting
-- for a request still running under it (its transaction holds the key's lock until it ends),
-- and the branch's service charge for the order type in basis points (0 when none).
-- Invoker: row-level security limits both reads to the caller's brand.
create function checkout_open(p_key text, p_branch uuid, p_type text)
    returns table (request_hash bytea, response_status integer, response_body jsonb,
                   service_charge_bp integer)
    language plpgsql as $$
#variable_conflict use_column
begin
    -- Keys of different brands may hash alike: they only wait for each other, never mix.
    perform pg_advisory_xact_lock(hashtextextended(app_tenant_id()::text || '/' || p_key, 0));
    -- A new statement, so a new snapshot: it sees a row committed while this one waited.
    return query
    select k.request_hash, k.response_status, k.response_body,
           coalesce((select s.rate_bp from branch_service_charges s
                      where s.branch_id = p_branch and p_type = any(s.order_types)), 0)
      from (select 1) one
      left join idempotency_keys k on k.tenant_id = app_tenant_id() and k.key = p_key;
end
$$;
revoke all on function checkout_open(text, uuid, text) from public;
grant execute on function checkout_open(text, uuid, text) to sous_app;

-- As 20261125000027's, but the key's row is inserted here with its answer (p_hash is the
-- request's hash) instead of updated: the row did not exist before.
drop function order_place(jsonb, jsonb, jsonb, jsonb, text, integer, jsonb);
create function order_place(p_order jsonb, p_lines jsonb, p_payment jsonb, p_entries jsonb,
                            p_key text, p_hash bytea, p_status integer, p_answer jsonb)
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

    if p_key is not null then
        insert into idempotency_keys (tenant_id, key, request_hash, response_status,
                                      response_body)
        values (v_order.tenant_id, p_key, p_hash, p_status, p_answer);
    end if;
end
$$;
revoke all on function order_place(jsonb, jsonb, jsonb, jsonb, text, bytea, integer, jsonb)
    from public;
grant execute on function order_place(jsonb, jsonb, jsonb, jsonb, text, bytea, integer, jsonb)
    to sous_app;

-- Purges read these by age only: a block-range index costs next to nothing per insert (rows
-- arrive in time order) and still finds a day's old rows.
drop index idempotency_keys_created_idx;
create index idempotency_keys_created_idx on idempotency_keys using brin (created_at);
drop index events_created_idx;
create index events_created_idx on events using brin (created_at);

-- ---- foreign keys to tenants on the hot tables ---------------------------------------------
-- Row-level security's WITH CHECK already pins tenant_id to the session's tenant, which sous
-- sets from a signed token of an existing brand, and brands are never deleted by the app role
-- (revoked below). The key's check took a share lock on the one tenants row in every checkout,
-- several times, from every concurrent checkout at once.
revoke delete, truncate on tenants from sous_app;
alter table journal_entries drop constraint journal_entries_tenant_id_fkey;
alter table events drop constraint events_tenant_id_fkey;
alter table idempotency_keys drop constraint idempotency_keys_tenant_id_fkey;

-- ---- the kitchen's trigger fires for accepted orders only ----------------------------------
-- Its function still checks (an update to accepted from accepted makes nothing); the WHEN is
-- evaluated without a PL/pgSQL call, so a new order (placed) costs nothing here.
drop trigger kitchen_tickets_on_accept on orders;
create trigger kitchen_tickets_on_accept
    after insert or update of status on orders
    for each row when (new.status = 'accepted')
    execute function kitchen_create_tickets();
