-- Visas and certificates become one table of issued documents, every row kept.
--
-- SQLite keeps `cases.visa_number` (unused since 2026-11-27) with a foreign key to `visas`, so
-- `cases` is rebuilt without it, the way SQLite documents: foreign keys off, one transaction,
-- the table copied, dropped and renamed, its indexes made again, foreign keys checked on.
PRAGMA foreign_keys = OFF;
BEGIN;

-- Every document the service issues, whatever its kind, in one table: the number printed on it,
-- the holder as printed, the terms of a visa (empty for other kinds), the signer, the stored PDF,
-- and one status that moves issuing -> valid -> revoked. The kind is an output kind's name, not
-- a closed list here, so that a new kind of document needs no rebuild of the table.
CREATE TABLE issued_documents (
    number                 TEXT PRIMARY KEY,
    kind                   TEXT NOT NULL,
    case_id                TEXT NOT NULL UNIQUE REFERENCES cases (id),
    service_code           TEXT NOT NULL,
    surname                TEXT NOT NULL,
    given_names            TEXT NOT NULL,
    sex                    TEXT,
    date_of_birth          DATE NOT NULL,
    place_of_birth         TEXT,
    nationality            TEXT NOT NULL,
    passport_number        TEXT,
    passport_expiry        DATE,
    type_letter            TEXT,
    entries                TEXT,
    valid_from             DATE,
    valid_until            DATE,
    duration_of_stay_days  INTEGER,
    issuing_state          TEXT NOT NULL,
    issuing_post           TEXT NOT NULL,
    issue_date             DATE NOT NULL,
    kid                    TEXT NOT NULL REFERENCES signing_keys (kid),
    status                 TEXT NOT NULL CHECK (status IN ('issuing', 'valid', 'revoked')),
    pdf_key                TEXT,
    pdf_sha256             TEXT,
    revoked_at             TIMESTAMP,
    revocation_grounds     TEXT,
    created_at             TIMESTAMP NOT NULL,
    -- An e-visa carries its holder's passport and its terms; nothing else does.
    CHECK ((kind = 'e_visa') = (sex IS NOT NULL AND place_of_birth IS NOT NULL AND passport_number IS NOT NULL
        AND passport_expiry IS NOT NULL AND type_letter IS NOT NULL AND entries IS NOT NULL AND valid_from IS NOT NULL
        AND valid_until IS NOT NULL AND duration_of_stay_days IS NOT NULL))
);
CREATE INDEX issued_documents_by_status ON issued_documents (kind, status, valid_until);
CREATE INDEX issued_documents_by_revocation ON issued_documents (revoked_at);

INSERT INTO issued_documents (number, kind, case_id, service_code, surname, given_names, sex, date_of_birth,
    place_of_birth, nationality, passport_number, passport_expiry, type_letter, entries, valid_from, valid_until,
    duration_of_stay_days, issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at,
    revocation_grounds, created_at)
SELECT visa_number, 'e_visa', case_id, visa_type, surname, given_names, sex, date_of_birth,
    place_of_birth, nationality, passport_number, passport_expiry, type_letter, entries, valid_from, valid_until,
    duration_of_stay_days, issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at,
    revocation_grounds, created_at
FROM visas;

INSERT INTO issued_documents (number, kind, case_id, service_code, surname, given_names, date_of_birth,
    nationality, issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at,
    revocation_grounds, created_at)
SELECT document_number, 'certificate', case_id, service_code, surname, given_names, date_of_birth,
    nationality, issuing_state, issuing_post, issue_date, kid, status, pdf_key, pdf_sha256, revoked_at,
    revocation_grounds, created_at
FROM certificates;

DROP TABLE visas;
DROP TABLE certificates;

CREATE TABLE cases_rebuilt (
    id                   TEXT PRIMARY KEY,
    reference            TEXT NOT NULL UNIQUE,
    applicant_id         TEXT NOT NULL REFERENCES users (id),
    service              TEXT NOT NULL,
    service_code         TEXT NOT NULL,
    post_code            TEXT NOT NULL REFERENCES posts (code),
    status               TEXT NOT NULL,
    form                 TEXT NOT NULL,
    surname              TEXT,
    given_names          TEXT,
    nationality          TEXT,
    assigned_officer_id  TEXT REFERENCES users (id),
    priority             TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent')),
    submitted_at         TIMESTAMP,
    decision_deadline    TIMESTAMP,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    decision             TEXT,
    recommended_by       TEXT REFERENCES users (id),
    decided_at           TIMESTAMP,
    form_version         INTEGER NOT NULL DEFAULT 1
);
INSERT INTO cases_rebuilt (id, reference, applicant_id, service, service_code, post_code, status, form, surname, given_names, nationality, assigned_officer_id, priority, submitted_at, decision_deadline, version, created_at, updated_at, decision, recommended_by, decided_at, form_version)
SELECT id, reference, applicant_id, service, service_code, post_code, status, form, surname, given_names, nationality, assigned_officer_id, priority, submitted_at, decision_deadline, version, created_at, updated_at, decision, recommended_by, decided_at, form_version FROM cases;
DROP TABLE cases;
ALTER TABLE cases_rebuilt RENAME TO cases;
CREATE INDEX cases_by_applicant ON cases (applicant_id, created_at);
CREATE INDEX cases_by_post_status ON cases (post_code, status, priority, decision_deadline);
CREATE INDEX cases_by_service ON cases (service_code, status);
CREATE INDEX cases_by_post_service_status ON cases (post_code, service_code, status, decision_deadline);
CREATE INDEX cases_by_post_decided ON cases (post_code, decided_at, service_code, submitted_at);

COMMIT;
PRAGMA foreign_keys = ON;
