-- Keys are stored as SHA-256 of the secret: keys are 256-bit random, so a slow hash adds nothing.
create table api_keys (
  id              varchar(40)  primary key,
  name            varchar(200) not null,
  tenant          varchar(200) not null,
  key_hash        varchar(64)  not null unique,
  key_prefix      varchar(16)  not null,
  models          varchar(4000),
  rpm             bigint,
  tpm             bigint,
  budget_amount   numeric(24, 10),
  budget_currency varchar(8),
  budget_period   varchar(8),
  expires_at      timestamp with time zone,
  revoked_at      timestamp with time zone,
  created_at      timestamp with time zone not null
);

-- Prices set through the admin API; they override the configured ones.
create table prices (
  model            varchar(200) primary key,
  input_cache_hit  numeric(24, 10) not null,
  input_cache_miss numeric(24, 10) not null,
  output           numeric(24, 10) not null,
  currency         varchar(8) not null,
  updated_at       timestamp with time zone not null
);

-- One row per key and budget period: money spent (captured) and held by requests in flight.
create table budget_usage (
  key_id       varchar(40) not null,
  period_start timestamp with time zone not null,
  spent        numeric(24, 10) not null default 0,
  reserved     numeric(24, 10) not null default 0,
  primary key (key_id, period_start)
);

-- Requests admitted and not yet billed. A row left here by a crash is finalized by the reconciler.
create table reservations (
  request_id   varchar(128) primary key,
  key_id       varchar(40)  not null,
  tenant       varchar(200) not null,
  model        varchar(200) not null,
  backend      varchar(64)  not null,
  period_start timestamp with time zone,
  amount       numeric(24, 10) not null,
  created_at   timestamp with time zone not null
);
create index reservations_created on reservations (created_at);

-- The bill: one row per request id, with the tokens and the prices it was billed at.
create table usage_records (
  request_id               varchar(128) primary key,
  key_id                   varchar(40)  not null,
  tenant                   varchar(200) not null,
  model                    varchar(200) not null,
  prompt_cache_hit_tokens  bigint not null,
  prompt_cache_miss_tokens bigint not null,
  completion_tokens        bigint not null,
  reasoning_tokens         bigint not null,
  price_input_cache_hit    numeric(24, 10) not null,
  price_input_cache_miss   numeric(24, 10) not null,
  price_output             numeric(24, 10) not null,
  price_multiplier         numeric(12, 6) not null,
  cost                     numeric(24, 10) not null,
  currency                 varchar(8) not null,
  status                   varchar(16) not null,
  created_at               timestamp with time zone not null
);
create index usage_tenant_created on usage_records (tenant, created_at);
create index usage_key_created on usage_records (key_id, created_at);
