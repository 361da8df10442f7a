-- Managers retry or discard their brand's dead tasks. The application role has no UPDATE or
-- DELETE on task_queue (it must never claim or alter a running task), so these two narrow
-- functions run as the owner and act only on a `failed` task of the caller's tenant.

create function sous_task_retry(p_id bigint) returns text
    language plpgsql security definer set search_path = public, pg_temp
    as $$
    declare
        current_status text;
    begin
        select status into current_status from task_queue
            where id = p_id and tenant_id = app_tenant_id() for update;
        if not found then
            return 'not_found';
        end if;
        if current_status <> 'failed' then
            return 'not_failed';
        end if;
        -- A fresh set of attempts; the last error stays until the next run replaces it.
        update task_queue
            set status = 'pending', attempts = 0, run_at = now(), finished_at = null
            where id = p_id;
        perform pg_notify('sous_tasks', '');
        return 'ok';
    end
    $$;

create function sous_task_discard(p_id bigint) returns text
    language plpgsql security definer set search_path = public, pg_temp
    as $$
    declare
        current_status text;
    begin
        select status into current_status from task_queue
            where id = p_id and tenant_id = app_tenant_id() for update;
        if not found then
            return 'not_found';
        end if;
        if current_status <> 'failed' then
            return 'not_failed';
        end if;
        delete from task_queue where id = p_id;
        return 'ok';
    end
    $$;

revoke all on function sous_task_retry(bigint), sous_task_discard(bigint) from public;
grant execute on function sous_task_retry(bigint), sous_task_discard(bigint) to sous_app;
