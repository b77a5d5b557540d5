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
CREATE INDEX visas_by_revocation ON visas (revoked_at);
INSERT INTO visas SELECT number, case_id, service_code, type_letter, entries, valid_from, valid_until,
    duration_of_stay_days, surname, given_names, sex, date_of_birth, place_of_birth, nationality, passport_number,
    passport_expiry, issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at,
    revocation_grounds, created_at
FROM issued_documents WHERE kind = 'e_visa';

CREATE TABLE certificates (
    document_number     TEXT PRIMARY KEY,
    case_id             TEXT NOT NULL UNIQUE REFERENCES cases (id),
    service_code        TEXT NOT NULL REFERENCES services (code),
    surname             TEXT NOT NULL,
    given_names         TEXT NOT NULL,
    date_of_birth       DATE NOT NULL,
    nationality         TEXT NOT NULL,
    issuing_state       TEXT NOT NULL,
    issuing_post        TEXT NOT NULL,
    issue_date          DATE NOT NULL,
    kid                 TEXT NOT NULL REFERENCES signing_keys (kid),
    status              TEXT NOT NULL CHECK (status IN ('issuing', 'valid', 'revoked')),
    pdf_key             TEXT,
    pdf_sha256          TEXT,
    revoked_at          TIMESTAMP,
    revocation_grounds  TEXT,
    created_at          TIMESTAMP NOT NULL
);
INSERT INTO certificates SELECT number, case_id, service_code, surname, given_names, date_of_birth, nationality,
    issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at, revocation_grounds, created_at
FROM issued_documents WHERE kind = 'certificate';

DROP TABLE issued_documents;
