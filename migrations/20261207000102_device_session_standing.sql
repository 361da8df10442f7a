-- A session started by PIN on a kitchen screen carries the kitchen role whatever the member's
-- own role, so a device session stands while the member has any active staff membership (and
-- the device is not revoked); other sessions need the membership of their role.
create or replace function auth_session_standing(p_user uuid, p_role role, p_device uuid)
    returns table (active boolean, valid_after bigint)
    language sql stable set search_path = public, pg_temp
    as $$
        select
            exists (select 1 from memberships m
                    where m.user_id = p_user and m.disabled_at is null
                      and (m.role = p_role or (p_device is not null and m.role <> 'customer')))
            and (p_device is null
                 or exists (select 1 from devices d where d.id = p_device and d.revoked_at is null)),
            coalesce((select floor(extract(epoch from max(m.sessions_valid_after)))::bigint
                      from memberships m where m.user_id = p_user), 0)
    $$;
