-- Each branch prices, taxes and prints receipts by its own country's rules: a brand with
-- branches in Saudi Arabia and the UAE sells in SAR at 15 % VAT in one and in AED at 5 % in the
-- other. The brand's currency and VAT on `tenants` stay as what a new branch starts from when
-- no country is given.
--
-- The countries and currencies are tables, not constants in the code: branches, ledger accounts
-- and journal entries refer to them, so the database itself refuses a branch in a country or a
-- currency it does not know, and SQL (the branch defaults below, receipts, reports) reads the
-- minor units and the VAT defaults where it needs them. They are reference data, the same for
-- every brand: no tenant_id, readable by the application, changed only by migrations.

create table currencies (
    code text primary key check (code ~ '^[A-Z]{3}$'),
    -- ISO 4217 minor units: 100 fils to the dirham, 1000 to the Bahraini dinar.
    minor_units smallint not null check (minor_units in (0, 2, 3)),
    name text not null,
    name_ar text not null
);
insert into currencies (code, minor_units, name, name_ar) values
    ('SAR', 2, 'Saudi riyal', 'ريال سعودي'),
    ('AED', 2, 'UAE dirham', 'درهم إماراتي'),
    ('BHD', 3, 'Bahraini dinar', 'دينار بحريني'),
    ('KWD', 3, 'Kuwaiti dinar', 'دينار كويتي'),
    ('QAR', 2, 'Qatari riyal', 'ريال قطري'),
    ('OMR', 3, 'Omani rial', 'ريال عماني');
-- A brand made before this migration may keep books in another currency: it stays valid, with
-- the usual two decimals.
insert into currencies (code, minor_units, name, name_ar)
select distinct currency::text, 2, currency::text, currency::text from tenants
on conflict (code) do nothing;

create table countries (
    code text primary key check (code ~ '^[A-Z]{2}$'),
    name text not null,
    name_ar text not null,
    currency text not null references currencies (code),
    -- The standard VAT rate a branch in the country starts with (basis points; 0 where there
    -- is no VAT today). A branch keeps its own rate, so a change of law is a change of the
    -- branches it applies to.
    vat_rate_bp integer not null check (vat_rate_bp between 0 and 10000),
    -- Whether menu prices include VAT: the Gulf's consumer-price rules ask for it.
    vat_inclusive boolean not null,
    -- The e-invoicing scheme a receipt follows: 'zatca' prints the ZATCA (phase 1) QR code.
    e_invoicing text check (e_invoicing in ('zatca'))
);
insert into countries (code, name, name_ar, currency, vat_rate_bp, vat_inclusive, e_invoicing) values
    ('SA', 'Saudi Arabia', 'المملكة العربية السعودية', 'SAR', 1500, true, 'zatca'),
    ('AE', 'United Arab Emirates', 'الإمارات العربية المتحدة', 'AED', 500, true, null),
    ('BH', 'Bahrain', 'البحرين', 'BHD', 1000, true, null),
    ('OM', 'Oman', 'عُمان', 'OMR', 500, true, null),
    ('QA', 'Qatar', 'قطر', 'QAR', 0, true, null),
    ('KW', 'Kuwait', 'الكويت', 'KWD', 0, true, null);

-- Reference data: the application reads it and never changes it.
revoke insert, update, delete, truncate on currencies, countries from sous_app;
grant select on currencies, countries to sous_app;

-- ---- a branch's country, currency, VAT and legal seller -------------------------------------
alter table branches
    add column country text references countries (code),
    add column currency text references currencies (code),
    add column vat_rate_bp integer check (vat_rate_bp between 0 and 10000),
    add column vat_inclusive boolean,
    -- The seller on the branch's tax invoices when it is not the brand itself (a legal entity
    -- of the brand registered in the branch's country). NULL: the brand's name and VAT number.
    add column vat_number text check (vat_number ~ '^[0-9A-Z]{5,20}$'),
    add column legal_name text check (length(legal_name) between 1 and 200),
    add column legal_name_ar text check (length(legal_name_ar) between 1 and 200);

-- Existing branches sold in their brand's currency at its VAT: they keep doing so, in the
-- country of that currency (Saudi Arabia for a currency no country here uses).
update branches b
   set currency = t.currency::text,
       vat_rate_bp = t.vat_rate_bp,
       vat_inclusive = t.vat_inclusive,
       country = coalesce((select c.code from countries c where c.currency = t.currency::text
                            order by c.code limit 1), 'SA')
  from tenants t
 where t.id = b.tenant_id;

alter table branches
    alter column country set not null,
    alter column currency set not null,
    alter column vat_rate_bp set not null,
    alter column vat_inclusive set not null;

-- A branch made without a country (every caller before per-branch countries) starts as its
-- brand's branches did: the brand's currency and VAT, in that currency's country. A branch made
-- with a country takes what it leaves out from the country.
create function branches_country_defaults() returns trigger
    language plpgsql as $$
declare
    v_country countries;
begin
    if new.country is null then
        select t.currency::text, t.vat_rate_bp, t.vat_inclusive
          into v_country.currency, v_country.vat_rate_bp, v_country.vat_inclusive
          from tenants t where t.id = new.tenant_id;
        new.country := coalesce((select c.code from countries c
                                  where c.currency = coalesce(new.currency, v_country.currency)
                                  order by c.code limit 1), 'SA');
    else
        select * into v_country from countries c where c.code = new.country;
    end if;
    new.currency := coalesce(new.currency, v_country.currency);
    new.vat_rate_bp := coalesce(new.vat_rate_bp, v_country.vat_rate_bp);
    new.vat_inclusive := coalesce(new.vat_inclusive, v_country.vat_inclusive);
    return new;
end
$$;
create trigger branches_country_defaults
    before insert on branches
    for each row execute function branches_country_defaults();

-- A branch's money stays in one currency: once it has books (a journal entry), its currency
-- does not change. Its drawers, clearing accounts, settlements and reports then never hold two
-- currencies; a branch that moves to another currency is a new branch.
create function branches_currency_fixed() returns trigger
    language plpgsql as $$
begin
    if new.currency is distinct from old.currency
       and exists (select from journal_entries e
                    where e.tenant_id = old.tenant_id and e.branch_id = old.id) then
        raise exception 'branch % has books in %; its currency cannot change', old.id, old.currency
            using errcode = 'check_violation', constraint = 'branch_currency_in_use';
    end if;
    return new;
end
$$;
create trigger branches_currency_fixed
    before update of currency on branches
    for each row execute function branches_currency_fixed();
