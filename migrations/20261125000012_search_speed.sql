-- Menu search speed (issue 5 bench: 100 000 items, 500 per brand, a search in under 5 ms).
--
-- The matching runs here, as the owner, because under row-level security the planner may not
-- use the search GIN indexes: `@@` and `<%` are not leakproof, so they cannot be index
-- conditions ahead of the tenant policy, and every search read and tested all of the brand's
-- rows. The tenant is still the caller's scope (app_tenant_id(), as the policy has it), so
-- this sees no more than the caller could; only ids and scores come out, the caller reads
-- the rows themselves under RLS.
--
-- Words first: `p_tsq` through items_search_idx (tenant and words in one index scan). Then the
-- orderable filter (`p_candidates`), on those few rows only: as a condition next to the index
-- ones the planner would probe every candidate by primary key instead (the OFFSET 0 keeps the
-- two apart). Only when fewer than `p_limit` orderable items match the words are typos
-- looked for: word similarity of the whole query to the item's names (`<%`, through
-- items_search_name_idx), at 0.45 rather than the default 0.6 so that "chiken burgr" still
-- finds "chicken burger". The index applies that threshold itself, hence the SET clause (no
-- set_config round trip; the caller's value comes back afterwards). Rows that match the words
-- are left out of the typos: the caller ranks every word match above every typo match, so
-- with `p_limit` word matches a typo match could never be shown.
create function sous_search_hits(p_tsq tsquery, p_text text, p_candidates uuid[], p_limit bigint)
    returns table (id uuid, exact boolean, fts real, sim real)
    language plpgsql stable security definer
    set search_path = pg_catalog, public
    set pg_trgm.word_similarity_threshold = '0.45'
    as $$
declare
    v_tenant_id uuid := app_tenant_id();
    v_found bigint;
begin
    return query
        select m.id, true, ts_rank(m.search_vector, p_tsq), word_similarity(p_text, m.search_name)
        from (select i.id, i.search_vector, i.search_name
              from items i
              where i.tenant_id = v_tenant_id and i.search_vector @@ p_tsq
              offset 0) m
        where m.id = any(p_candidates);
    get diagnostics v_found = row_count;
    if v_found < p_limit then
        return query
            select m.id, false, ts_rank(m.search_vector, p_tsq),
                   word_similarity(p_text, m.search_name)
            from (select i.id, i.search_vector, i.search_name
                  from items i
                  where i.tenant_id = v_tenant_id and p_text <% i.search_name
                    and not (i.search_vector @@ p_tsq)
                  offset 0) m
            where m.id = any(p_candidates);
    end if;
end
$$;

revoke all on function sous_search_hits(tsquery, text, uuid[], bigint) from public;
grant execute on function sous_search_hits(tsquery, text, uuid[], bigint) to sous_app;
