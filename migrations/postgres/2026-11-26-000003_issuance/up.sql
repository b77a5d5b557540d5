-- Issuance: document-signer keys, visas, the durable issuance queue, revocation grounds.

CREATE TABLE signing_keys (
    kid                 TEXT PRIMARY KEY,
    certificate_pem     TEXT,
    ca_certificate_pem  TEXT,
    key_file            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'active', 'retired')),
    development         BOOLEAN NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    activated_at        TIMESTAMP,
    retired_at          TIMESTAMP
);

CREATE TABLE visas (
    visa_number            TEXT PRIMARY KEY,
    case_id                TEXT NOT NULL UNIQUE REFERENCES cases (id),
    visa_type              TEXT NOT NULL,
    type_letter            TEXT NOT NULL,
    entries                TEXT NOT NULL,
    valid_from             DATE NOT NULL,
    valid_until            DATE NOT NULL,
    duration_of_stay_days  INTEGER NOT NULL,
    surname                TEXT NOT NULL,
    given_names            TEXT NOT NULL,
    sex                    TEXT NOT NULL,
    date_of_birth          DATE NOT NULL,
    place_of_birth         TEXT NOT NULL,
    nationality            TEXT NOT NULL,
    passport_number        TEXT NOT NULL,
    passport_expiry        DATE NOT NULL,
    issuing_state          TEXT NOT NULL,
    issuing_post           TEXT NOT NULL,
    issue_date             DATE NOT NULL,
    kid                    TEXT NOT NULL REFERENCES signing_keys (kid),
    status                 TEXT NOT NULL CHECK (status IN ('issuing', 'valid', 'revoked')),
    pdf_key                TEXT,
    pdf_sha256             TEXT,
    revoked_at             TIMESTAMP,
    revocation_grounds     TEXT,
    created_at             TIMESTAMP NOT NULL
);
CREATE INDEX visas_by_status ON visas (status, valid_until);

ALTER TABLE cases ADD COLUMN visa_number TEXT REFERENCES visas (visa_number);

CREATE TABLE issuance_jobs (
    case_id       TEXT PRIMARY KEY REFERENCES cases (id),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    run_after     TIMESTAMP NOT NULL,
    locked_until  TIMESTAMP,
    last_error    TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX issuance_jobs_due ON issuance_jobs (status, run_after);

INSERT INTO refusal_grounds (code, title, description, applies_to, sort_order) VALUES
    ('CONDITIONS_NO_LONGER_MET', 'Conditions no longer met',
     'The conditions for issuing the visa are no longer met.', 'revocation', 100),
    ('HOLDER_REQUEST', 'Revoked at the holder''s request',
     'The holder asked for the visa to be revoked.', 'revocation', 110);
