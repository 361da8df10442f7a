-- Identity: each registered device of a branch has a number of its own (till 1, till 2, …),
-- given in registration order and never reused at the branch, even after a revoke. A till
-- prints offline orders as `T<number>-<n>`, so two tills offline at once never print the same
-- number — a prefix derived from the device's id could be shared by two devices.

alter table devices add column number integer;
update devices d set number = n.number
from (select id, row_number() over (partition by branch_id order by created_at, id) as number
      from devices) n
where n.id = d.id;
alter table devices alter column number set not null;
alter table devices add constraint devices_branch_number_key unique (branch_id, number);

-- The next number at the branch, under a lock on the branch's numbering, so two registrations
-- at once cannot take the same one.
create function devices_number() returns trigger
    language plpgsql
    as $$
    begin
        perform pg_advisory_xact_lock(hashtextextended('devices:' || new.branch_id::text, 0));
        select coalesce(max(number), 0) + 1 into new.number
        from devices where branch_id = new.branch_id;
        return new;
    end
    $$;
create trigger devices_number_on_insert
    before insert on devices
    for each row execute function devices_number();
