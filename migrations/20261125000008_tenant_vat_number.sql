-- A brand's VAT registration number, printed on receipts and in their ZATCA QR code
-- (Saudi VAT numbers are 15 digits, starting and ending with 3).
alter table tenants add column vat_number text check (vat_number ~ '^[0-9A-Z]{5,20}$');
