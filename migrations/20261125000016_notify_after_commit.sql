-- A transaction that NOTIFYs takes PostgreSQL's global notify lock at commit and keeps it until
-- its commit record is flushed, so every such commit in the cluster waits for the one before
-- it to reach the disk. Writers on a hot path (checkout) set `app.notify_after_commit` and
-- announce their events themselves once committed, from a connection that does not wait for
-- the flush (platform::db::Db::announce_events); the listener's poll is the backstop.
create or replace function events_notify() returns trigger
    language plpgsql as $$
begin
    if current_setting('app.notify_after_commit', true) = 'on' then
        return null;
    end if;
    perform pg_notify('sous_events', (select max(id)::text from inserted));
    return null;
end
$$;
