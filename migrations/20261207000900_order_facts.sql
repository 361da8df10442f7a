-- What other contexts may read of an order in their own SQL (a kitchen ticket's number and
-- table, a delivery's amount due), owned by ordering: they join this view, never `orders`, so
-- ordering can change its table without breaking their queries. Columns are only ever added.
--
-- security_invoker: the view reads `orders` with the caller's rights, so the tenant's
-- row-level security applies exactly as on the table. A plain view like this one is inlined
-- by the planner: a join on it plans as the join on `orders` did.
create view order_facts with (security_invoker = true) as
select id, tenant_id, branch_id, number, business_date, channel, type, status, table_ref, notes,
       currency::text as currency, total, vat, tip, paid, refunded, total - paid as due,
       placed_by, placed_by_kind, created_at,
       (pricing -> 'totals' ->> 'itemsGross')::bigint as items_gross,
       (pricing -> 'totals' ->> 'discountTotal')::bigint as discount_total,
       (pricing -> 'totals' ->> 'netOfVat')::bigint as net_of_vat
from orders;

-- Read-only: the default privileges granted the application every right on new relations,
-- and a simple view would pass writes through to `orders`.
revoke all on order_facts from sous_app;
grant select on order_facts to sous_app;
