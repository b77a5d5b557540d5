-- Back to the release before the case engine.

ALTER TABLE outbox ADD COLUMN run_after TIMESTAMP;
ALTER TABLE outbox ADD COLUMN locked_until TIMESTAMP;
UPDATE outbox SET run_after = COALESCE((SELECT run_after FROM jobs WHERE jobs.kind = 'send_email' AND jobs.subject = outbox.id), created_at);
CREATE INDEX outbox_due ON outbox (status, run_after);

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
INSERT INTO issuance_jobs (case_id, status, attempts, run_after, locked_until, last_error, created_at, updated_at)
SELECT subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at FROM jobs WHERE kind = 'issue_output';
DROP TABLE jobs;

ALTER TABLE cases ADD COLUMN visa_number TEXT REFERENCES visas (visa_number);
UPDATE cases SET visa_number = (SELECT visa_number FROM visas WHERE visas.case_id = cases.id AND visas.status <> 'issuing');

DROP INDEX cases_by_service;
ALTER TABLE cases DROP COLUMN form_version;

CREATE TABLE visa_types (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    category         TEXT NOT NULL CHECK (category IN ('short_stay', 'long_stay', 'transit')),
    entries          TEXT NOT NULL CHECK (entries IN ('single', 'double', 'multiple')),
    max_stay_days    INTEGER NOT NULL CHECK (max_stay_days > 0),
    validity_days    INTEGER NOT NULL CHECK (validity_days > 0),
    fee_minor        BIGINT NOT NULL CHECK (fee_minor >= 0),
    currency         TEXT NOT NULL,
    processing_days  INTEGER NOT NULL DEFAULT 15,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order       INTEGER NOT NULL,
    four_eyes        BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO visa_types (code, name, purpose, category, entries, max_stay_days, validity_days, fee_minor, currency,
                        processing_days, active, sort_order, four_eyes)
SELECT s.code, s.name, v.purpose, v.category, v.entries, v.max_stay_days, v.validity_days, s.fee_minor, s.currency,
       s.processing_days, s.active, s.sort_order, s.four_eyes
FROM services s JOIN visa_services v ON v.service_code = s.code;

DROP TABLE visa_services;
DROP TABLE service_forms;
DROP TABLE services;
