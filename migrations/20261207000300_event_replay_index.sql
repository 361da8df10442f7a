-- A resuming SSE client's missed events are read by tenant first: by its branch (staff, and
-- the branch of a cart it follows), or by the customer or guest the events are addressed to.
-- The position index alone made a replay walk every tenant's events, RLS dropping them row by
-- row.
create index events_replay_branch_idx on events (tenant_id, branch_id, tx_id, id);
create index events_replay_audience_idx on events (tenant_id, audience, tx_id, id)
    where audience is not null;
