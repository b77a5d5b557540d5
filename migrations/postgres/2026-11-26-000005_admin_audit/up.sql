-- The audit trail of administration: accounts, posts, keys, e-mail retries.

CREATE TABLE admin_events (
    id          TEXT PRIMARY KEY,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    actor_role  TEXT NOT NULL,
    details     TEXT,
    request_id  TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX admin_events_by_time ON admin_events (created_at, id);
