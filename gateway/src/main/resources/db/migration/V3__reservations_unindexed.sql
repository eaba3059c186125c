-- Reservations live for the length of one request: the table holds only the requests in flight,
-- which the reconciler scans whole. An index on created_at cost two index writes (insert, then
-- delete) per metered request for nothing.
drop index reservations_created;
