-- One write path and one look-up for checkout (docs/ordering.md §2).
--   * `order_place` had become a batch of one around `order_place_batch`; the app now calls
--     `order_place_batch` itself on every path (checkout's transactional path, the checks of a
--     split or merge), so the wrapper goes.
--   * `checkout_open` read the same answer and service charge as `checkout_facts`, in a copy of
--     its query; it now takes the key's lock and asks `checkout_facts` for the caller's brand.

drop function order_place(jsonb, jsonb, jsonb, jsonb, text, bytea, integer, jsonb);

create or replace function checkout_open(p_key text, p_branch uuid, p_type text)
    returns table (request_hash bytea, response_status integer, response_body jsonb,
                   service_charge_bp integer)
    language plpgsql as $$
begin
    -- Keys of different brands may hash alike: they only wait for each other, never mix.
    perform pg_advisory_xact_lock(hashtextextended(app_tenant_id()::text || '/' || p_key, 0));
    -- A new statement, so a new snapshot (checkout_facts is stable: it reads with this
    -- statement's): it sees a row committed while this one waited.
    return query select * from checkout_facts(app_tenant_id(), p_key, p_branch, p_type);
end
$$;
