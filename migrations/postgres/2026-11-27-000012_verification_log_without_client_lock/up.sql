-- Every verification check is logged before it is answered, so the log is written on the hot
-- path. Its reference to api_clients made PostgreSQL look up the client's row and lock it
-- (FOR KEY SHARE) for each logged check: a quarter of the database's work under the
-- verification load. The logged client is always the client that was just authenticated from
-- api_clients, and clients are disabled, never deleted, so the application keeps the reference.
-- (SQLite keeps its constraint: there the check is a lookup in the same process, and dropping
-- it would mean copying the whole log into a new table.)
ALTER TABLE verification_log DROP CONSTRAINT verification_log_client_id_fkey;
