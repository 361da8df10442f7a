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

-- As before (see 20261125000012), with three changes:
-- - words through items_search_scoped_idx; the tenant and the query itself are checked again
--   on the few rows found (the scoped keys hold one brand only, and the query as written,
--   with weights or phrases should it ever have them, is the one that decides);
-- - the orderable filter as a hashed semi-join: `id = any(p_candidates)` with the array as a
--   parameter (PL/pgSQL's cached plans) compares every row with all ~500 ids one by one;
-- - generic plans from the first call (below).
create or replace function sous_search_hits(p_tenant uuid, p_tsq tsquery, p_text text,
                                            p_candidates uuid[], p_limit bigint)
    returns table (id uuid, exact boolean, fts real, sim real)
    language plpgsql stable security definer
    set search_path = pg_catalog, public
    set pg_trgm.word_similarity_threshold = '0.45'
    set plan_cache_mode = force_generic_plan
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

-- As before, planned once per connection. PL/pgSQL keeps each statement's plan, but by
-- default re-plans it with the call's values ("custom" plans) for the first five calls and
-- after that whenever the generic plan's estimated cost is not below the custom ones'. The
-- statement that joins the matches to the items and builds the highlights was planned anew
-- on every call that way: 0.4–0.5 ms of a 1 ms search. Its generic plan is the same nested
-- loop over the (at most `p_limit`) matches, and the matching statements' generic plans use
-- the indexes above (checked with EXPLAIN), so generic plans are forced for the whole call.
create or replace function catalog_search(p_branch uuid, p_terms text[], p_lang text, p_limit integer)
    returns jsonb
    language plpgsql security definer
    set search_path = pg_catalog, public
    set plan_cache_mode = force_generic_plan
    as $$
declare
    v_tenant uuid;
    v_ids uuid[];
    v_tsq tsquery;
    v_text text;
    v_config regconfig := case when p_lang = 'ar' then 'arabic' else 'english' end;
    v_results jsonb;
begin
    select b.tenant_id into v_tenant from branches b where b.id = p_branch and b.status <> 'archived';
    if v_tenant is null then
        return jsonb_build_object('status', 'missing');
    end if;
    select c.item_ids into v_ids from menu_cache c
    where c.branch_id = p_branch and c.valid_until > now()
      and c.version = coalesce((select s.version from catalog_state s where s.tenant_id = v_tenant), 0);
    if v_ids is null then
        return jsonb_build_object('status', 'stale');
    end if;
    select tsquery_and_agg(to_tsquery('english', t || ':*') || to_tsquery('arabic', sous_normalize_ar(t) || ':*')),
           sous_normalize_ar(array_to_string(p_terms, ' '))
    into v_tsq, v_text
    from unnest(p_terms) as t;
    select coalesce(jsonb_agg(jsonb_build_object(
               'id', r.id, 'name', r.name, 'nameAr', r.name_ar, 'price', r.price,
               'image', r.image, 'calories', r.calories, 'rank', r.rank,
               'nameHtml', r.name_html, 'nameArHtml', r.name_ar_html,
               'descriptionHtml', r.description_html) order by r.ord), '[]'::jsonb)
    into v_results
    from (
        select h.id, i.name, i.name_ar, coalesce(o.price, i.price) as price, i.image, i.calories,
               (case when h.exact then 1 else 0 end + h.fts + h.sim * 0.5)::real as rank,
               ts_headline(v_config, sous_html_escape(i.name), v_tsq,
                           'HighlightAll=true, StartSel=<mark>, StopSel=</mark>') as name_html,
               ts_headline('arabic', sous_html_escape(i.name_ar), v_tsq,
                           'HighlightAll=true, StartSel=<mark>, StopSel=</mark>') as name_ar_html,
               ts_headline(v_config,
                           sous_html_escape(case when p_lang = 'ar' then i.description_ar else i.description end),
                           v_tsq, 'MaxWords=20, MinWords=8, StartSel=<mark>, StopSel=</mark>')
                   as description_html,
               row_number() over (order by h.exact desc, h.fts desc, h.sim desc, h.id) as ord
        from (select * from sous_search_hits(v_tenant, v_tsq, v_text, v_ids, p_limit) x
              order by x.exact desc, x.fts desc, x.sim desc, x.id limit p_limit) h
        join items i on i.id = h.id and i.tenant_id = v_tenant
        left join branch_item_overrides o on o.item_id = h.id and o.branch_id = p_branch
    ) r;
    return jsonb_build_object('status', 'ok', 'results', v_results);
end
$$;
