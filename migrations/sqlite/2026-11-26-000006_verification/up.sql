-- Verification by embassy and border systems: API clients and the log of every check.

CREATE TABLE api_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    key_prefix    TEXT NOT NULL UNIQUE,
    key_hash      TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    rotated_at    TIMESTAMP
);

CREATE TABLE verification_log (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES api_clients (id),
    method         TEXT NOT NULL,
    visa_number    TEXT,
    passport_hash  TEXT,
    result         TEXT NOT NULL,
    ip             TEXT,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX verification_log_by_time ON verification_log (created_at, id);
CREATE INDEX verification_log_by_client ON verification_log (client_id, created_at);
CREATE INDEX visas_by_revocation ON visas (revoked_at);
