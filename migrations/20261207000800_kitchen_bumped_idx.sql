-- The kitchen screen lists the tickets its branch bumped lately, for recalling one (a dish sent
-- back). Bumped tickets are every ticket the branch ever had; this index finds the latest ones
-- of a branch without reading the others.
create index kitchen_tickets_bumped_idx on kitchen_tickets (tenant_id, branch_id, bumped_at desc)
    where status = 'bumped';
