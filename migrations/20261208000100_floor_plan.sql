-- The POS floor plan: where each table stands on its branch's plan, and the party seated at a
-- table (a table session) from the moment it sits down until it leaves.

-- The plan is a square of 1000 × 1000 units whatever the screen: the POS scales it. `pos_x` and
-- `pos_y` are the table's top-left corner, so the table lies inside the plan when
-- `pos_x + width` and `pos_y + height` are at most 1000. `rotation` turns it about its centre.
alter table dining_tables
    add column pos_x integer not null default 20,
    add column pos_y integer not null default 20,
    add column width integer not null default 80,
    add column height integer not null default 80,
    add column shape text not null default 'rect',
    add column rotation integer not null default 0;

-- Tables made before the plan existed get a grid: eight to a row, 120 units apart, by floor area
-- then label, so none hides another until a manager lays the floor out.
update dining_tables t
set pos_x = 20 + (g.n % 8) * 120, pos_y = 20 + (g.n / 8 % 8) * 120
from (select id, (row_number() over (partition by branch_id
                                      order by floor_area nulls last, lower(label), id) - 1)::int as n
      from dining_tables where archived_at is null) g
where g.id = t.id;

alter table dining_tables
    add constraint dining_tables_layout check (
        pos_x between 0 and 1000 and pos_y between 0 and 1000
        and width between 20 and 400 and height between 20 and 400
        and shape in ('rect', 'round') and rotation between 0 and 359),
    add constraint dining_tables_inside_plan_x check (pos_x + width <= 1000),
    add constraint dining_tables_inside_plan_y check (pos_y + height <= 1000);

-- A party at a table: opened when it is seated, closed when it leaves (or joins another table's
-- party). Moving the party changes `table_id`; the row is never deleted, so the sessions of a
-- table are its history of service.
create table table_sessions (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    table_id uuid not null,
    guests integer not null check (guests between 1 and 100),
    -- The staff member who serves the party.
    server_id uuid not null references users (id),
    -- The POS that seated it, when the staff member signed in on a registered device.
    device_id uuid references devices (id),
    opened_at timestamptz not null default now(),
    -- The last time the check was printed for the party.
    check_printed_at timestamptz,
    closed_at timestamptz,
    -- The session this party joined when it was merged into another table's.
    merged_into uuid,
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    foreign key (tenant_id, table_id) references dining_tables (tenant_id, id),
    foreign key (tenant_id, merged_into) references table_sessions (tenant_id, id),
    check (closed_at is null or closed_at >= opened_at),
    check (merged_into is null or closed_at is not null)
);
-- One party at a table at a time.
create unique index table_sessions_open_key on table_sessions (table_id) where closed_at is null;
create index table_sessions_branch_open_idx on table_sessions (tenant_id, branch_id)
    where closed_at is null;
-- When a table's last party left: the floor shows a paid order that is still open as the
-- table's only while it is newer than that.
create index table_sessions_table_closed_idx on table_sessions (tenant_id, table_id, closed_at desc)
    where closed_at is not null;

select sous_tenant_rls('table_sessions');
revoke delete, truncate on table_sessions from sous_app;
