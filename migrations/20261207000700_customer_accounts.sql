-- Customer accounts belong to one brand. Until now a customer was a global `users` row with a
-- `customer` membership, so signing up with an email that another brand already knew answered
-- 409 (telling one brand's visitors who is another brand's customer or staff), and the same
-- person could not hold two accounts with two passwords. Staff users stay global.
create table customer_accounts (
    tenant_id uuid not null references tenants (id),
    -- A moved customer keeps their user id, so their tokens and their orders' `placed_by` still
    -- match; one person may thus have the same id in two brands, hence the composite key.
    id uuid not null,
    email citext not null
        check (email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
    password_hash text not null,
    display_name text not null check (length(display_name) between 1 and 254),
    created_at timestamptz not null default now(),
    disabled_at timestamptz,
    -- Access tokens issued before this (a password change) no longer stand.
    sessions_valid_after timestamptz,
    primary key (tenant_id, id),
    constraint customer_accounts_email_key unique (tenant_id, email)
);
select sous_tenant_rls('customer_accounts');

insert into customer_accounts (tenant_id, id, email, password_hash, display_name, created_at,
                               disabled_at, sessions_valid_after)
select m.tenant_id, u.id, u.email, u.password_hash, u.display_name, m.created_at, m.disabled_at,
       m.sessions_valid_after
  from memberships m join users u on u.id = m.user_id
 where m.role = 'customer';

delete from memberships where role = 'customer';

-- A moved customer who is nobody's staff leaves no global user behind: that user's email would
-- still be taken for a staff invitation in any brand. Rows something still points at stay.
delete from users u
 where exists (select 1 from customer_accounts c where c.id = u.id)
   and not exists (select 1 from memberships m where m.user_id = u.id)
   and not exists (select 1 from devices d where d.created_by = u.id)
   and not exists (select 1 from branch_item_overrides o where o.sold_out_by = u.id)
   and not exists (select 1 from driver_shifts s where s.driver_id = u.id)
   and not exists (select 1 from driver_pings p where p.driver_id = u.id)
   and not exists (select 1 from order_deliveries d where d.driver_id = u.id);

alter table memberships add constraint memberships_staff_only check (role <> 'customer');

-- A customer's token stands while their account of the token's brand is enabled; staff tokens
-- as before (migration device_session_standing).
create or replace function auth_session_standing(p_user uuid, p_role role, p_device uuid)
    returns table (active boolean, valid_after bigint)
    language sql stable set search_path = public, pg_temp
    as $$
        select
            case when p_role = 'customer' then
                exists (select 1 from customer_accounts c
                        where c.id = p_user and c.disabled_at is null)
            else
                exists (select 1 from memberships m
                        where m.user_id = p_user and m.disabled_at is null
                          and (m.role = p_role or (p_device is not null and m.role <> 'customer')))
                and (p_device is null
                     or exists (select 1 from devices d where d.id = p_device and d.revoked_at is null))
            end,
            case when p_role = 'customer' then
                coalesce((select floor(extract(epoch from c.sessions_valid_after))::bigint
                          from customer_accounts c where c.id = p_user), 0)
            else
                coalesce((select floor(extract(epoch from max(m.sessions_valid_after)))::bigint
                          from memberships m where m.user_id = p_user), 0)
            end
    $$;
