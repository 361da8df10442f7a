-- Managers retry or discard their brand's dead tasks. The application role has no UPDATE or
-- DELETE on task_queue (it must never claim or alter a running task), so this one narrow
-- function runs as the owner and acts only on a `failed` task of the caller's tenant.
--
-- Returns 'ok', 'not_found' (no such task in this tenant) or 'not_failed'.

create function sous_task_admin(p_id bigint, p_action text) returns text
    language plpgsql security definer set search_path = public, pg_temp
    as $$
    declare
        current_status text;
    begin
        if p_action not in ('retry', 'discard') then
            raise exception 'unknown task action %', p_action;
        end if;
        select status into current_status from task_queue
            where id = p_id and tenant_id = app_tenant_id() for update;
        if not found then
            return 'not_found';
        end if;
        if current_status <> 'failed' then
            return 'not_failed';
        end if;
        if p_action = 'discard' then
            delete from task_queue where id = p_id;
        else
            -- A fresh set of attempts; the last error stays until the next run replaces it.
            update task_queue
                set status = 'pending', attempts = 0, run_at = now(), finished_at = null
                where id = p_id;
            perform pg_notify('sous_tasks', '');
        end if;
        return 'ok';
    end
    $$;

revoke all on function sous_task_admin(bigint, text) from public;
grant execute on function sous_task_admin(bigint, text) to sous_app;
