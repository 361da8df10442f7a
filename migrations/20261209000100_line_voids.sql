-- Ordering: a line taken off an order after it was sent (a void). Order lines are never
-- updated, so the void is a fact of its own: which line, why, who took it off and which
-- manager approved it. The order is priced again without the line in the same transaction,
-- and its sale in the books is moved to the new total (a `line_void` journal entry).

create table order_line_voids (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    order_id uuid not null,
    -- A line is voided once, whole.
    line_id uuid not null unique references order_lines (id),
    reason text not null check (length(reason) between 1 and 200),
    -- What the line came to as sold (its net), taken off the order's total.
    amount bigint not null check (amount >= 0),
    voided_by uuid not null references users (id),
    -- The manager who approved it (a line above the approval threshold): the caller when a
    -- manager, or the one whose PIN was typed.
    approved_by uuid references users (id),
    created_at timestamptz not null default now(),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index order_line_voids_order_idx on order_line_voids (tenant_id, order_id);

select sous_tenant_rls('order_line_voids');
revoke update, delete, truncate on order_line_voids from sous_app;

-- The kitchen: the voided line's items are struck through on their tickets, so the cook stops
-- making them, and each station's screen is told at once. A ticket left with nothing to make
-- stays until the cook bumps it, so a void is never missed.
alter table kitchen_ticket_items add column voided_at timestamptz;

create function kitchen_void_items() returns trigger
    language plpgsql
    as $$
    declare
        tk record;
    begin
        for tk in
            update kitchen_ticket_items ti set voided_at = new.created_at
            from kitchen_tickets k
            where ti.tenant_id = new.tenant_id and ti.order_line_id = new.line_id
              and k.id = ti.ticket_id and ti.voided_at is null
            returning k.id, k.branch_id, k.order_id, ti.name, ti.quantity
        loop
            update kitchen_tickets set updated_at = now() where id = tk.id;
            insert into events (tenant_id, branch_id, channel, stream, type, audience, payload)
            values (new.tenant_id, tk.branch_id, 'kitchen', 'ticket:' || tk.id,
                    'ticket.item_voided', null,
                    jsonb_build_object('ticketId', tk.id, 'orderId', tk.order_id,
                                       'name', tk.name, 'quantity', tk.quantity,
                                       'reason', new.reason));
        end loop;
        return new;
    end
    $$;
create trigger kitchen_void_on_line_void
    after insert on order_line_voids
    for each row execute function kitchen_void_items();
