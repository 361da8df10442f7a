-- Smaller copies of an image, for `srcset`: a media row may be a variant of another of the same
-- brand (the same picture at a smaller width). The menu lists an image with its variants, so a
-- phone loads the size it needs.
alter table media add column variant_of text;
alter table media add constraint media_variant_of_fkey
    foreign key (tenant_id, variant_of) references media (tenant_id, sha256);
alter table media add constraint media_variant_not_itself check (variant_of is distinct from sha256);
create index media_variant_of_idx on media (tenant_id, variant_of) where variant_of is not null;
