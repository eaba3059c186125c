create table training_file (
  id varchar(64) primary key,
  filename varchar(512) not null,
  purpose varchar(32) not null,
  format varchar(32) not null,
  bytes bigint not null,
  line_count integer not null,
  created_at bigint not null
);

create table fine_tuning_job (
  id varchar(64) primary key,
  model varchar(256) not null,
  training_file varchar(64) not null,
  validation_file varchar(64),
  suffix varchar(64),
  seed bigint not null,
  method text not null,
  status varchar(32) not null,
  error text,
  fine_tuned_model varchar(256),
  created_at bigint not null,
  finished_at bigint,
  trained_tokens bigint,
  step integer not null default 0,
  total_steps integer not null default 0
);

create table fine_tuning_event (
  job_id varchar(64) not null,
  seq integer not null,
  created_at bigint not null,
  level varchar(16) not null,
  type varchar(16) not null,
  message text not null,
  data text,
  primary key (job_id, seq)
);

create table fine_tuning_checkpoint (
  job_id varchar(64) not null,
  step integer not null,
  path varchar(1024) not null,
  metrics text not null,
  created_at bigint not null,
  primary key (job_id, step)
);
