-- Menu search speed (issue 5 bench: 100 000 items, 500 per brand, a search in under 5 ms).
--
-- The matching runs here, as the owner, because under row-level security the planner may not
-- use the search GIN indexes: `@@` and `<%` are not leakproof, so they cannot be index
-- conditions ahead of the tenant policy, and every search read and tested all of the brand's
-- rows. Only `catalog_search` calls it, with the brand of the branch searched; only ids and
-- scores come out.
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
create function sous_search_hits(p_tenant uuid, p_tsq tsquery, p_text text, p_candidates uuid[],
                                 p_limit bigint)
    returns table (id uuid, exact boolean, fts real, sim real)
    language plpgsql stable security definer
    set search_path = pg_catalog, public
    set pg_trgm.word_similarity_threshold = '0.45'
    as $$
declare
    v_tenant_id uuid := p_tenant;
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

revoke all on function sous_search_hits(uuid, tsquery, text, uuid[], bigint) from public;

-- A menu search in one call: the branch's brand, the items orderable there now (from the
-- branch's fresh cached menu), the matches (sous_search_hits), their rows with the branch's
-- prices and the highlights — one round trip, with plans PL/pgSQL keeps between calls.
--
-- Public, like the menu itself: the brand comes from the branch, never from the caller, and
-- only that brand's orderable items come out. A menu that is not cached or is out of date
-- answers `stale`, and the caller builds it and asks again; an unknown or archived branch
-- answers `missing`.
create function catalog_search(p_branch uuid, p_terms text[], p_lang text, p_limit integer)
    returns jsonb
    language plpgsql security definer
    set search_path = pg_catalog, public
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

revoke all on function catalog_search(uuid, text[], text, integer) from public;
grant execute on function catalog_search(uuid, text[], text, integer) to sous_app;
