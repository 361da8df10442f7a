-- Identity, the time clock: when each staff member worked at which branch, with their breaks,
-- so that reports can work out labour cost. Staff clock in and out themselves (on a POS with
-- their PIN session, whose device is kept, or with a password session); owners and managers
-- correct entries, and every correction is in `audit_log` with the entry before and after and
-- the reason given.

create table time_entries (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    branch_id uuid not null,
    user_id uuid not null references users (id),
    clock_in timestamptz not null,
    clock_out timestamptz,
    -- The registered device of the PIN session that clocked in; null for a password session.
    device_id uuid references devices (id),
    clocked_in_by uuid not null references users (id),
    -- The member themselves, or the manager who closed the entry (a correction, offboarding).
    clocked_out_by uuid references users (id),
    note text check (length(note) <= 500),
    -- The latest correction, so a timesheet can mark the entry; the audit log keeps each one.
    edited_by uuid references users (id),
    edited_at timestamptz,
    created_at timestamptz not null default now(),
    unique (tenant_id, id),
    foreign key (tenant_id, branch_id) references branches (tenant_id, id),
    check (clock_out > clock_in),
    check ((clock_out is null) = (clocked_out_by is null)),
    check ((edited_by is null) = (edited_at is null)),
    -- A person is on one clock at a time: two entries of theirs never overlap (an open entry
    -- runs on), whatever a correction says.
    constraint time_entries_no_overlap exclude using gist
        (tenant_id with =, user_id with =, tstzrange(clock_in, clock_out) with &&)
);
-- At most one open entry per person, whatever the branch: the clock-in's conflict target.
create unique index time_entries_open_key on time_entries (tenant_id, user_id)
    where clock_out is null;
create index time_entries_branch_idx on time_entries (tenant_id, branch_id, clock_in);

create table time_breaks (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    entry_id uuid not null,
    started_at timestamptz not null,
    ended_at timestamptz,
    -- A paid break counts as worked time; an unpaid one is taken off it.
    paid boolean not null default false,
    foreign key (tenant_id, entry_id) references time_entries (tenant_id, id),
    check (ended_at >= started_at),
    constraint time_breaks_no_overlap exclude using gist
        (tenant_id with =, entry_id with =, tstzrange(started_at, ended_at) with &&)
);
create unique index time_breaks_open_key on time_breaks (tenant_id, entry_id)
    where ended_at is null;
create index time_breaks_entry_idx on time_breaks (tenant_id, entry_id, started_at);

select sous_tenant_rls('time_entries', 'time_breaks');
-- Entries are never deleted. A correction may replace an entry's breaks; the correction's audit
-- row keeps the breaks it replaced, so `time_breaks` keeps its DELETE.
revoke delete, truncate on time_entries from sous_app;

-- An entry's figures as of now: an open entry runs until now, an open break until the entry
-- ends (or now), and a break counts only inside its entry. Worked time is the entry's length
-- less its unpaid breaks; break time is every break. Seconds are whole, rounded down. The
-- caller's row-level security applies (not SECURITY DEFINER); reports of labour cost use this.
create function time_entry_seconds(e time_entries, out worked_seconds bigint,
                                   out break_seconds bigint, out unpaid_break_seconds bigint)
    language sql stable
    as $$
    with span as (select coalesce(e.clock_out, greatest(now(), e.clock_in)) as until),
    b as (
        select k.paid,
               extract(epoch from greatest(interval '0',
                   least(coalesce(k.ended_at, s.until), s.until) - greatest(k.started_at, e.clock_in)))
                   as secs
        from time_breaks k, span s
        where k.tenant_id = e.tenant_id and k.entry_id = e.id
    )
    select floor(extract(epoch from s.until - e.clock_in)
                 - coalesce((select sum(secs) from b where not paid), 0))::bigint,
           floor(coalesce((select sum(secs) from b), 0))::bigint,
           floor(coalesce((select sum(secs) from b where not paid), 0))::bigint
    from span s
    $$;
