-- The case engine: the catalogue of services as data (each visa type becomes a service whose
-- output is an e-visa, its visa settings kept beside it), cases that record the form version they
-- were created with, and one durable table of background jobs for every kind of work.

CREATE TABLE services (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    eligibility      TEXT NOT NULL CHECK (eligibility IN ('citizens', 'foreigners', 'both')),
    form_version     INTEGER NOT NULL CHECK (form_version > 0),
    documents        TEXT NOT NULL,
    fee_minor        BIGINT NOT NULL CHECK (fee_minor >= 0),
    currency         TEXT NOT NULL,
    prepaid          BOOLEAN NOT NULL DEFAULT FALSE,
    processing_days  INTEGER NOT NULL CHECK (processing_days > 0),
    four_eyes        BOOLEAN NOT NULL DEFAULT FALSE,
    output           TEXT NOT NULL CHECK (output IN ('e_visa', 'certificate', 'appointment', 'decision')),
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order       INTEGER NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

-- Every version of every service's form: open cases are validated against the version they
-- were created with.
CREATE TABLE service_forms (
    service_code  TEXT NOT NULL REFERENCES services (code),
    version       INTEGER NOT NULL,
    schema        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (service_code, version)
);

-- The settings only a visa service has.
CREATE TABLE visa_services (
    service_code   TEXT PRIMARY KEY REFERENCES services (code),
    purpose        TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category IN ('short_stay', 'long_stay', 'transit')),
    entries        TEXT NOT NULL CHECK (entries IN ('single', 'double', 'multiple')),
    max_stay_days  INTEGER NOT NULL CHECK (max_stay_days > 0),
    validity_days  INTEGER NOT NULL CHECK (validity_days > 0)
);

INSERT INTO services (code, name, description, eligibility, form_version, documents, fee_minor, currency,
                      prepaid, processing_days, four_eyes, output, active, sort_order, created_at, updated_at)
SELECT code, name, purpose, 'foreigners', 1,
       '[{"kind":"photo","required":true,"media_types":["image/jpeg","image/png"],"max_bytes":5242880},{"kind":"passport","required":true,"media_types":["application/pdf","image/jpeg","image/png"],"max_bytes":10485760}]',
       fee_minor, currency, FALSE, processing_days, four_eyes, 'e_visa', active, sort_order, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM visa_types;

INSERT INTO service_forms (service_code, version, schema, created_at)
SELECT code, 1, '{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"Visa application","type":"object","additionalProperties":false,"properties":{"applicant":{"type":"object","additionalProperties":false,"title":"About you","properties":{"surname":{"type":"string","maxLength":100,"title":"Surname"},"given_names":{"type":"string","maxLength":100,"title":"Given names"},"sex":{"type":"string","enum":["M","F","X"],"title":"Sex"},"date_of_birth":{"type":"string","format":"date","title":"Date of birth"},"place_of_birth":{"type":"string","maxLength":100,"title":"Place of birth"},"nationality":{"type":"string","pattern":"^[A-Z<]{3}$","title":"Nationality"}},"required":["surname","given_names","date_of_birth","nationality"]},"passport":{"type":"object","additionalProperties":false,"title":"Your passport","properties":{"number":{"type":"string","maxLength":20,"title":"Passport number"},"issuing_state":{"type":"string","pattern":"^[A-Z<]{3}$","title":"Issuing state"},"issue_date":{"type":"string","format":"date","title":"Date of issue"},"expiry_date":{"type":"string","format":"date","title":"Date of expiry"}}},"travel":{"type":"object","additionalProperties":false,"title":"Your journey","properties":{"purpose":{"type":"string","maxLength":500,"title":"Purpose of the journey"},"arrival_date":{"type":"string","format":"date","title":"Arrival date"},"departure_date":{"type":"string","format":"date","title":"Departure date"},"address":{"type":"string","maxLength":300,"title":"Address of stay"}}},"contact":{"type":"object","additionalProperties":false,"title":"Contact details","properties":{"email":{"type":"string","format":"email","title":"E-mail address"},"phone":{"type":"string","title":"Telephone"}}}},"required":["applicant"]}', CURRENT_TIMESTAMP
FROM visa_types;

INSERT INTO visa_services (service_code, purpose, category, entries, max_stay_days, validity_days)
SELECT code, purpose, category, entries, max_stay_days, validity_days FROM visa_types;

DROP TABLE visa_types;

ALTER TABLE cases ADD COLUMN form_version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX cases_by_service ON cases (service_code, status);

-- Outputs live in tables of their own, keyed by case: the visa number is read from `visas`.
-- SQLite cannot drop a column that carries a foreign key, so `cases.visa_number` stays in the
-- file, no longer read nor written.

-- One queue for all background work: issuing outputs, sending e-mails, and what comes later.
CREATE TABLE jobs (
    kind          TEXT NOT NULL CHECK (kind IN ('issue_output', 'send_email')),
    subject       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    run_after     TIMESTAMP NOT NULL,
    locked_until  TIMESTAMP,
    last_error    TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX jobs_due ON jobs (status, kind, run_after);

INSERT INTO jobs (kind, subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at)
SELECT 'issue_output', case_id, status, attempts, run_after, locked_until, last_error, created_at, updated_at
FROM issuance_jobs;
DROP TABLE issuance_jobs;

-- The outbox keeps each message and its delivery record; the job carries its scheduling.
INSERT INTO jobs (kind, subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at)
SELECT 'send_email', id, CASE status WHEN 'sent' THEN 'done' ELSE status END, attempts, run_after,
       locked_until, last_error, created_at, COALESCE(sent_at, created_at)
FROM outbox;
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN run_after;
ALTER TABLE outbox DROP COLUMN locked_until;
