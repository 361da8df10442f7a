-- Three small hardenings of the database itself.

-- 1. Security-definer functions search `pg_temp` last. A function whose search_path leaves
-- pg_temp out still searches it first, so a caller able to create temporary objects could
-- shadow a table or an operator the function uses, and run it with the owner's rights. Every
-- such function of this schema gets one explicit path (a test checks that new ones do too).
do $$
declare
    f regprocedure;
begin
    for f in
        select p.oid::regprocedure
          from pg_proc p
          join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'public' and p.prosecdef
           and pg_get_userbyid(p.proowner) = current_user
    loop
        execute format('alter function %s set search_path = pg_catalog, public, pg_temp', f);
    end loop;
end
$$;

-- 2. No temporary objects for the application (PUBLIC has TEMP on a new database by default).
-- Database privileges are not copied from a template, so the test harness revokes it again on
-- every database it clones.
do $$
begin
    execute format('revoke temporary on database %I from public', current_database());
    execute format('revoke temporary on database %I from sous_app', current_database());
end
$$;

-- 3. A cached menu belongs to its branch: one of another brand's branch cannot be stored, and
-- a branch's cache goes with it.
delete from menu_cache m
 where not exists (select 1 from branches b where b.id = m.branch_id and b.tenant_id = m.tenant_id);
alter table menu_cache
    add constraint menu_cache_branch_fkey foreign key (tenant_id, branch_id)
        references branches (tenant_id, id) on delete cascade;
