-- The foundation: posts, accounts, the visa catalogue, cases, their audit trail and documents.

CREATE TABLE posts (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    full_name           TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('applicant', 'officer', 'supervisor', 'admin')),
    post_code           TEXT REFERENCES posts (code),
    preferred_language  TEXT NOT NULL DEFAULT 'en',
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL,
    CHECK (role = 'applicant' OR post_code IS NOT NULL)
);

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
    sort_order       INTEGER NOT NULL
);

INSERT INTO visa_types (code, name, purpose, category, entries, max_stay_days, validity_days, fee_minor, currency, processing_days, active, sort_order) VALUES
    ('TOURIST',  'Tourist visa',            'Tourism and sightseeing',                        'short_stay', 'single',   30,  90,  8000, 'EUR', 15, TRUE, 10),
    ('BUSINESS', 'Business visa',           'Meetings, negotiations, conferences and trade',  'short_stay', 'multiple', 30,  180, 8000, 'EUR', 15, TRUE, 20),
    ('PRIVATE',  'Private visit visa',      'Visiting family members or friends',             'short_stay', 'single',   30,  90,  8000, 'EUR', 15, TRUE, 30),
    ('MEDICAL',  'Medical treatment visa',  'Medical treatment at a licensed clinic',         'short_stay', 'double',   90,  180, 8000, 'EUR', 10, TRUE, 40),
    ('TRANSIT',  'Transit visa',            'Passing through on the way to another country',  'transit',    'double',   5,   30,  4000, 'EUR', 10, TRUE, 50),
    ('STUDENT',  'Student visa',            'Study at an accredited institution',             'long_stay',  'multiple', 365, 365, 9900, 'EUR', 30, TRUE, 60),
    ('WORK',     'Work visa',               'Employment with a registered employer',          'long_stay',  'multiple', 365, 365, 9900, 'EUR', 30, TRUE, 70);

CREATE TABLE reference_counters (
    scope       TEXT PRIMARY KEY,
    last_value  BIGINT NOT NULL
);

CREATE TABLE cases (
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
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX cases_by_applicant ON cases (applicant_id, created_at);
CREATE INDEX cases_by_post_status ON cases (post_code, status, priority, decision_deadline);

CREATE TABLE case_events (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor_id     TEXT REFERENCES users (id),
    actor_role   TEXT NOT NULL,
    note         TEXT,
    internal     BOOLEAN NOT NULL DEFAULT FALSE,
    details      TEXT,
    request_id   TEXT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, created_at, id);

CREATE TABLE case_documents (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    kind          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    storage_key   TEXT NOT NULL,
    uploaded_at   TIMESTAMP NOT NULL,
    UNIQUE (case_id, kind)
);
