-- Share codes: a holder lets an employer, a landlord or a university check their status. The
-- code itself is kept only as a keyed digest; its last characters let the holder tell codes apart.
CREATE TABLE share_codes (
    id                 TEXT PRIMARY KEY,
    code_digest        TEXT NOT NULL UNIQUE,
    code_hint          TEXT NOT NULL,
    document_number    TEXT NOT NULL REFERENCES issued_documents (number),
    holder_id          TEXT NOT NULL REFERENCES users (id),
    purpose            TEXT NOT NULL CHECK (purpose IN ('work', 'renting', 'study', 'other')),
    created_at         TIMESTAMP NOT NULL,
    expires_at         TIMESTAMP NOT NULL,
    cancelled_at       TIMESTAMP,
    -- Wrong dates of birth given with the code; at five it answers no more.
    wrong_birth_dates  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX share_codes_by_holder ON share_codes (holder_id, created_at);

-- Every check of a share code, written in the transaction that answers it: what the holder sees
-- of the checks of their codes, and what limits guessing. A code that matched none has no id.
CREATE TABLE share_code_checks (
    id             TEXT PRIMARY KEY,
    share_code_id  TEXT REFERENCES share_codes (id),
    outcome        TEXT NOT NULL CHECK (outcome IN ('shown', 'wrong_birth_date', 'unknown_code', 'inactive')),
    ip             TEXT,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX share_code_checks_by_code ON share_code_checks (share_code_id, created_at);
