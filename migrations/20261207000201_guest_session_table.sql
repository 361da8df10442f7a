-- A guest session at a table names the table whose QR code started it; the label stays as the
-- table was called then. A session started on the website has neither and orders only for
-- pickup or delivery.
alter table guest_sessions add column table_id uuid;
alter table guest_sessions add constraint guest_sessions_table_named
    check (table_id is not null or table_ref is null);
