-- No query reads usage records by key: the usage API filters by tenant and time (and request id),
-- and a key's spend is kept in budget_usage. The (key_id, created_at) index was one more index
-- write per billed request for nothing.
drop index usage_key_created;
