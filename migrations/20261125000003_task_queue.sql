-- Task queue, worker heart-beats and the scheduler's run ledger (seed §3.2 and §3.5).
--
-- Who may do what. The application role (`sous_app`) enqueues tasks inside its own request
-- transactions, so a rolled-back order enqueues nothing. Under the forced RLS policy it can
-- insert and see only its current tenant's tasks, and it has no UPDATE or DELETE at all: it can
-- neither claim nor alter a task, not even its own tenant's. Workers claim across tenants with
-- the OWNER connection, which bypasses RLS because it is a superuser or has BYPASSRLS (checked by
-- `platform::db::migrate`); a handler then does its tenant-scoped work through the application
-- pool in a transaction scoped to the task's tenant.

create table task_queue (
    id bigint generated always as identity primary key,
    -- NULL: a global task (platform maintenance); only the owner connection enqueues those.
    tenant_id uuid references tenants (id),
    kind text not null check (length(kind) between 1 and 100),
    payload jsonb not null default '{}'::jsonb,
    priority integer not null default 0,
    run_at timestamptz not null default now(),
    status text not null default 'pending'
        check (status in ('pending', 'running', 'done', 'failed')),
    -- Counted when a worker claims the task, so a task that kills its worker still runs out
    -- of attempts instead of being rescued forever.
    attempts integer not null default 0 check (attempts >= 0),
    max_attempts integer not null default 5 check (max_attempts between 1 and 100),
    locked_at timestamptz,
    locked_by text,
    last_error text,
    dedup_key text check (length(dedup_key) between 1 and 200),
    created_at timestamptz not null default now(),
    finished_at timestamptz,
    check ((status = 'running') = (locked_by is not null)),
    check ((locked_by is null) = (locked_at is null)),
    check ((status in ('done', 'failed')) = (finished_at is not null))
)
-- Every task is updated at least twice (claim, finish), and finished rows stay until the daily
-- cleanup: vacuum early so dead tuples do not pile up in the table the workers scan.
with (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- The claim reads only this index: it holds just the pending rows, in claim order, so it stays
-- small however many finished tasks the table keeps.
create index task_queue_pending_idx on task_queue (priority desc, run_at, id)
    where status = 'pending';
-- Rescue and completion look at running tasks by worker.
create index task_queue_running_idx on task_queue (locked_by) where status = 'running';
-- De-duplication: while a task with this key is pending or running, enqueueing the same key
-- (same tenant, same kind) is a no-op (`insert … on conflict do nothing`). Scoped by tenant so
-- one tenant's keys can neither block nor reveal another's; NULLS NOT DISTINCT makes global
-- tasks (tenant NULL) collide with each other too.
create unique index task_queue_dedup_key on task_queue (tenant_id, kind, dedup_key)
    nulls not distinct
    where dedup_key is not null and status in ('pending', 'running');

alter table task_queue enable row level security;
alter table task_queue force row level security;
create policy tenant_isolation on task_queue
    using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- SELECT stays (own tenant only, and `insert … returning id` needs it); no claiming or editing.
revoke update, delete, truncate on task_queue from sous_app;

-- One NOTIFY per inserting statement, and only when something is due now: the commit of a
-- transaction that has notified takes a cluster-wide lock, so a per-row trigger would serialise
-- bulk enqueues. Tasks due later are found by the workers' polling.
create function task_queue_notify() returns trigger
    language plpgsql
    as $$
    begin
        if exists (select 1 from inserted where run_at <= clock_timestamp()) then
            perform pg_notify('sous_tasks', '');
        end if;
        return null;
    end
    $$;

create trigger task_queue_notify
    after insert on task_queue
    referencing new table as inserted
    for each statement execute function task_queue_notify();

-- Live workers. Each writes `last_seen` every few seconds; a running task whose worker has not
-- been seen within the heartbeat timeout is put back to pending by any other worker.
create table task_workers (
    id text primary key,
    started_at timestamptz not null default now(),
    last_seen timestamptz not null default now()
);

-- Slots the in-process scheduler has run (used only without pg_cron): the primary key makes
-- each (job, slot) run once across all instances, even ones that reach the slot late.
create table scheduled_runs (
    job text not null,
    slot timestamptz not null,
    ran_at timestamptz not null default now(),
    primary key (job, slot)
);

-- Platform tables of the owner only (the default privileges granted them to sous_app).
revoke all on task_workers, scheduled_runs from sous_app;

-- The periodic jobs (registered with pg_cron at boot, or run by the in-process scheduler).

-- Refreshes the menu cache. The menu context does not exist yet; it replaces this body (create
-- or replace procedure) when it adds the cache table, and the schedule stays as it is.
create procedure sous_refresh_menu_cache()
    language plpgsql
    as $$
    begin
        null;
    end
    $$;

-- Credits pending loyalty points. Empty until the loyalty context replaces it, as above.
create procedure sous_loyalty_batch()
    language plpgsql
    as $$
    begin
        null;
    end
    $$;

-- Keeps the queue and its bookkeeping small: finished tasks are kept for a while to answer
-- "what happened to…", dead ones longer so someone can look at them.
create procedure sous_cleanup_tasks()
    language plpgsql
    as $$
    begin
        delete from task_queue where status = 'done' and finished_at < now() - interval '7 days';
        delete from task_queue where status = 'failed' and finished_at < now() - interval '30 days';
        delete from scheduled_runs where slot < now() - interval '30 days';
        -- Workers that stopped without signing off (a crash); their tasks were rescued long ago.
        delete from task_workers where last_seen < now() - interval '1 day';
    end
    $$;

revoke all on procedure sous_refresh_menu_cache(), sous_loyalty_batch(), sous_cleanup_tasks()
    from public;
