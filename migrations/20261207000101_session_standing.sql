-- Offboarding and device-bound sessions: an access token stays valid only while its membership
-- is active, its device (if any) is not revoked, and it was issued after the membership's
-- sessions were last ended (disabling, a role or branch change, a password reset).
alter table memberships add column sessions_valid_after timestamptz;

-- Whether a token's principal still stands (`valid_after`: tokens must be issued in a later
-- second, so none issued before the change survives it), read by every authenticated request (cached a few
-- seconds per process). Runs as the caller, under the transaction's tenant (RLS).
create function auth_session_standing(p_user uuid, p_role role, p_device uuid)
    returns table (active boolean, valid_after bigint)
    language sql stable set search_path = public, pg_temp
    as $$
        select
            exists (select 1 from memberships m
                    where m.user_id = p_user and m.role = p_role and m.disabled_at is null)
            and (p_device is null
                 or exists (select 1 from devices d where d.id = p_device and d.revoked_at is null)),
            coalesce((select floor(extract(epoch from max(m.sessions_valid_after)))::bigint
                      from memberships m where m.user_id = p_user), 0)
    $$;

-- Whether a person is also a member of another brand than the transaction's: their account
-- (and password) is shared with that brand, so this brand may not reset it.
create function auth_member_elsewhere(p_user uuid) returns boolean
    language sql stable security definer set search_path = public, pg_temp
    as $$
        select exists (select 1 from memberships
                       where user_id = p_user and tenant_id is distinct from app_tenant_id())
    $$;
revoke all on function auth_member_elsewhere(uuid) from public;
grant execute on function auth_member_elsewhere(uuid) to sous_app;
