-- The next order number of a branch's business day, claimed as one statement on its own: run
-- outside any transaction on a connection with `synchronous_commit = off`, it locks the
-- counter row only while it runs (docs/ordering.md §2, "Order numbers"). Security definer
-- because no tenant is set on such a connection; it checks the branch belongs to the tenant.
create function sous_claim_order_number(p_tenant uuid, p_branch uuid, p_day date)
    returns integer
    language plpgsql security definer set search_path = pg_catalog, public as $$
declare
    v_number integer;
begin
    insert into order_counters (tenant_id, branch_id, business_date, last_number)
    select p_tenant, b.id, p_day, 1 from branches b
    where b.id = p_branch and b.tenant_id = p_tenant
    on conflict (branch_id, business_date)
        do update set last_number = order_counters.last_number + 1
    returning last_number into v_number;
    if v_number is null then
        raise exception 'branch % is not a branch of brand %', p_branch, p_tenant
            using errcode = 'no_data_found';
    end if;
    return v_number;
end
$$;
revoke all on function sous_claim_order_number(uuid, uuid, date) from public;
grant execute on function sous_claim_order_number(uuid, uuid, date) to sous_app;
