-- A cancelled or voided order's event carries the reason it was ended with, so the screens
-- following the order (and the audit of who ended it) see why without reading the order again.
create or replace function notify_order_change() returns trigger
    language plpgsql
    as $$
    begin
        if tg_op = 'UPDATE' and new.status is not distinct from old.status then
            return new;
        end if;
        insert into events (tenant_id, branch_id, channel, stream, type, audience, payload)
        values (new.tenant_id, new.branch_id, 'orders', 'order:' || new.id,
                'order.' || new.status,
                case when new.placed_by_kind in ('customer', 'guest') then new.placed_by end,
                jsonb_build_object('orderId', new.id, 'status', new.status, 'number', new.number,
                                   'type', new.type, 'table', new.table_ref,
                                   'total', new.total, 'time', now())
                || case when new.status in ('cancelled', 'voided')
                        then jsonb_build_object('reason', new.status_reason)
                        else '{}'::jsonb end);
        return new;
    end
    $$;
