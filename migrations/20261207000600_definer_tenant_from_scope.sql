-- Security-definer functions take the brand from the transaction's scope (`app.tenant_id`, the
-- setting row-level security reads), never from an argument: given a brand as an argument,
-- a caller holding the application role could name another brand and read or write past
-- row-level security. Both are called outside any transaction, so sous sets the scope in the
-- same statement (platform::db::tenant_call): still one round trip. With no scope they refuse.

-- ---- order numbers ---------------------------------------------------------------------------
drop function sous_claim_order_numbers(uuid, uuid, integer);
create function sous_claim_order_numbers(p_branch uuid, p_count integer)
    returns table (business_date date, first_number integer)
    language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
#variable_conflict use_column
declare
    v_tenant uuid := app_tenant_id();
begin
    if v_tenant is null then
        raise exception 'order numbers are claimed within a brand''s scope'
            using errcode = 'insufficient_privilege';
    end if;
    if p_count is null or p_count < 1 or p_count > 1000 then
        raise exception 'a claim is for 1 to 1000 numbers, not %', p_count
            using errcode = 'invalid_parameter_value';
    end if;
    return query
    insert into order_counters as c (tenant_id, branch_id, business_date, last_number)
    select v_tenant, b.id, (now() at time zone b.time_zone)::date, p_count from branches b
    where b.id = p_branch and b.tenant_id = v_tenant and b.status <> 'archived'
    on conflict (branch_id, business_date)
        do update set last_number = c.last_number + p_count
    returning c.business_date, c.last_number - p_count + 1;
    if not found then
        raise exception 'branch % is not an open branch of the brand', p_branch
            using errcode = 'no_data_found';
    end if;
end
$$;
revoke all on function sous_claim_order_numbers(uuid, integer) from public;
grant execute on function sous_claim_order_numbers(uuid, integer) to sous_app;

-- ---- a key's stored answer -------------------------------------------------------------------
drop function idempotency_answer(uuid, text);
create function idempotency_answer(p_key text)
    returns table (request_hash bytea, response_status integer, response_body json)
    -- PL/pgSQL, not SQL: a security-definer SQL function is planned again at every call.
    language plpgsql stable security definer set search_path = pg_catalog, public, pg_temp as $$
#variable_conflict use_column
declare
    v_tenant uuid := app_tenant_id();
begin
    if v_tenant is null then
        raise exception 'a stored answer is read within a brand''s scope'
            using errcode = 'insufficient_privilege';
    end if;
    return query
    select k.request_hash, k.response_status, k.response_body
      from idempotency_keys k
     where k.tenant_id = v_tenant and k.key = p_key;
end
$$;
revoke all on function idempotency_answer(text) from public;
grant execute on function idempotency_answer(text) to sous_app;

-- As before (migration checkout_answer_text), reading the answer through the new signature.
create or replace function checkout_open(p_key text)
    returns table (request_hash bytea, response_status integer, response_body json)
    language plpgsql as $$
begin
    -- Keys of different brands may hash alike: they only wait for each other, never mix.
    perform pg_advisory_xact_lock(hashtextextended(app_tenant_id()::text || '/' || p_key, 0));
    -- A new statement, so a new snapshot: it sees a row committed while this one waited.
    return query select * from idempotency_answer(p_key);
end
$$;
