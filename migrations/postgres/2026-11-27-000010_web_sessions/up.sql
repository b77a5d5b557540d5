-- Sessions of the web portal and the officer console: the cookie holds a random token, the table
-- its SHA-256 only. A session ends at sign-out (row deleted), at its absolute expiry, when idle
-- too long, or when the account's token epoch moves on (disabled, password changed, ...).
CREATE TABLE web_sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    token_epoch   INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
