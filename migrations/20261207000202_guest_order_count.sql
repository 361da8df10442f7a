-- Checkout counts the orders of a guest session (a session places a bounded number of them).
create index orders_guest_session_idx on orders (tenant_id, placed_by)
    where placed_by_kind = 'guest';
