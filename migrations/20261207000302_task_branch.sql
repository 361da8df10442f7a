-- The branch a task is for, read from its payload (`branchId`, as the menu rebuilds name it):
-- managers scoped to a branch see and act on that branch's failed tasks only. A task without
-- one (a payment resolution, a brand-wide job) is for the owner and unscoped managers.
alter table task_queue add column branch_id uuid generated always as (
    case when payload ->> 'branchId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
         then (payload ->> 'branchId')::uuid end
) stored;
create index task_queue_failed_branch_idx on task_queue (tenant_id, branch_id)
    where status = 'failed';
