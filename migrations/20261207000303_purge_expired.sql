-- Rows that only ever matter until they expire: refresh tokens (a family goes once its last
-- token has expired, so a token's parent is never removed before it), guest sessions, and the
-- webhook signatures kept against replays (a delivery older than the provider's timestamp
-- tolerance, five minutes, is refused anyway; an hour is kept for the trail). Run by the
-- scheduler (job `purge-expired`) as the owner, across tenants.
create function sous_purge_expired() returns bigint
    language plpgsql as $$
declare
    n bigint;
    total bigint := 0;
begin
    delete from refresh_tokens t
     where t.family_id in (select family_id from refresh_tokens
                            group by family_id having max(expires_at) < now());
    get diagnostics n = row_count;
    total := total + n;
    delete from guest_sessions where expires_at < now();
    get diagnostics n = row_count;
    total := total + n;
    delete from webhook_deliveries where received_at < now() - interval '1 hour';
    get diagnostics n = row_count;
    return total + n;
end
$$;
revoke all on function sous_purge_expired() from public;
