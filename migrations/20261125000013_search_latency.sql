-- Menu search latency (the catalog target: p99 under 5 ms per query over 100 000 items in
-- 200 brands). Same results as 20261125000012; what changes is how the rows are found.
--
-- Where the time went (EXPLAIN ANALYZE on the bench's data, one brand of 500 items among 200):
-- the GIN indexes led with tenant_id (btree_gin), but a word's posting list still holds the
-- word's items of every brand. A prefix term (`chicken:*`, every term is one) makes GIN collect
-- the whole list into a bitmap before the tenant narrows it: ~10 000 items per term, 1.2–1.8 ms
-- per query to find 5 rows. The trigram index did the same with ~15 trigrams of ~10 000 items
-- each, 1.5–3 ms.

-- Trusted, like btree_gin: the database owner may create it.
create extension if not exists btree_gist;

-- The words of an item, each prefixed with its brand (the tenant id without dashes), so that
-- a brand's words are index keys of their own: `<tenant>chicken` lists only that brand's items
-- with "chicken", and a prefix search walks only that brand's keys. Positions and weights are
-- dropped: the index only answers "which items match", the ranking still reads search_vector.
-- A lexeme longer than 2015 bytes (a single "word" of over a thousand Arabic letters) would not
-- fit the 2047-byte limit with its prefix and is left out, so search cannot find it.
create function sous_scoped_tsv(p_tenant uuid, p_tsv tsvector) returns tsvector
    language sql immutable strict parallel safe
    as $$
        select array_to_tsvector(array(
            select translate(p_tenant::text, '-', '') || l
            from unnest(tsvector_to_array(p_tsv)) as l
            where octet_length(l) <= 2015))
    $$;

-- A query in the same terms: every lexeme of `p_tsq` prefixed with the brand, operators,
-- prefixes (`:*`) and weights kept. The text form quotes every lexeme ('…', quotes doubled).
create function sous_scoped_tsq(p_tenant uuid, p_tsq tsquery) returns tsquery
    language sql immutable strict parallel safe
    as $$
        select regexp_replace(p_tsq::text, '''((?:[^'']|'''')*)''',
                              '''' || translate(p_tenant::text, '-', '') || '\1''', 'g')::tsquery
    $$;

create index items_search_scoped_idx on items using gin (sous_scoped_tsv(tenant_id, search_vector));

-- Typos: GiST keeps a brand's items together (the tree splits on tenant_id first), so a search
-- visits that brand's ~500 leaf entries only, instead of intersecting trigram lists that span
-- every brand (measured: 0.5 ms index time against 1.2 ms for the GIN index).
create index items_search_name_gist_idx on items using gist (tenant_id, search_name gist_trgm_ops);

-- Nothing else reads these two.
drop index items_search_idx;
drop index items_search_name_idx;

-- As before (see 20261125000012), with two changes:
-- - words through items_search_scoped_idx; the tenant and the query itself are checked again
--   on the few rows found (the scoped keys hold one brand only, and the query as written,
--   with weights or phrases should it ever have them, is the one that decides);
-- - the orderable filter as a hashed semi-join: `id = any(p_candidates)` with the array as a
--   parameter (PL/pgSQL's cached plans) compares every row with all ~500 ids one by one.
create or replace function sous_search_hits(p_tenant uuid, p_tsq tsquery, p_text text,
                                            p_candidates uuid[], p_limit bigint)
    returns table (id uuid, exact boolean, fts real, sim real)
    language plpgsql stable security definer
    set search_path = pg_catalog, public
    set pg_trgm.word_similarity_threshold = '0.45'
    as $$
declare
    v_tenant_id uuid := p_tenant;
    v_scoped tsquery := sous_scoped_tsq(p_tenant, p_tsq);
    v_found bigint;
begin
    return query
        select m.id, true, ts_rank(m.search_vector, p_tsq), word_similarity(p_text, m.search_name)
        from (select i.id, i.tenant_id, i.search_vector, i.search_name
              from items i
              where sous_scoped_tsv(i.tenant_id, i.search_vector) @@ v_scoped
              offset 0) m
        where m.tenant_id = v_tenant_id and m.search_vector @@ p_tsq
          and m.id in (select unnest(p_candidates));
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
            where m.id in (select unnest(p_candidates));
    end if;
end
$$;
