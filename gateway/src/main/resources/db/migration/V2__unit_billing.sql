-- Requests billed by something other than tokens: vision per image, fine-tuning per trained token.
alter table usage_records add column unit varchar(16);
alter table usage_records add column units bigint not null default 0;
alter table usage_records add column price_unit numeric(24, 10) not null default 0;
