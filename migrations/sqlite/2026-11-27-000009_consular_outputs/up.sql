-- Consular services beyond visas: the fee each case owes and the payments reported for it,
-- signed certificates, and appointments at the posts' published schedules.

-- The fee due, recorded when the case is created (a later change of the service's fee does not
-- touch open cases), and what has been paid towards it.
CREATE TABLE case_fees (
    case_id       TEXT PRIMARY KEY REFERENCES cases (id),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency      TEXT NOT NULL,
    paid_minor    BIGINT NOT NULL DEFAULT 0 CHECK (paid_minor >= 0)
);
INSERT INTO case_fees (case_id, amount_minor, currency, paid_minor)
SELECT cases.id, services.fee_minor, services.currency, 0
FROM cases JOIN services ON services.code = cases.service_code;

-- Payments as the provider reported them, once per transaction: a replay finds its first answer.
CREATE TABLE payments (
    transaction_id  TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    amount_minor    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    body_sha256     TEXT NOT NULL,
    answer          TEXT NOT NULL,
    received_at     TIMESTAMP NOT NULL
);
CREATE INDEX payments_by_case ON payments (case_id, received_at);

-- Signed certificates, one per case at most, with the holder data printed on them.
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

-- Each post's appointment schedule, in the post's time zone: weekly opening hours as JSON
-- (`{"mon": ["09:00-12:30"], ...}`) and closed dates as a JSON list.
CREATE TABLE post_schedules (
    post_code          TEXT PRIMARY KEY REFERENCES posts (code),
    slot_minutes       INTEGER NOT NULL CHECK (slot_minutes > 0),
    capacity_per_slot  INTEGER NOT NULL CHECK (capacity_per_slot > 0),
    hours              TEXT NOT NULL,
    closed_dates       TEXT NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

-- How many appointments each slot holds: bookings raise the count only while it is below the
-- capacity, so concurrent bookings never overfill a slot.
CREATE TABLE appointment_slots (
    post_code  TEXT NOT NULL REFERENCES posts (code),
    starts_at  TIMESTAMP NOT NULL,
    booked     INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (post_code, starts_at)
);

-- The appointment of a case (UTC times).
CREATE TABLE appointments (
    case_id     TEXT PRIMARY KEY REFERENCES cases (id),
    post_code   TEXT NOT NULL REFERENCES posts (code),
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX appointments_by_slot ON appointments (post_code, starts_at);
