-- Payments started from the portal: each checkout is one attempt to pay a case's fee with a
-- provider (the built-in test provider, Stripe). A case has at most one open checkout, so two
-- tabs or a double click reach the same one; its outcome is recorded once.
CREATE TABLE payment_checkouts (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    provider      TEXT NOT NULL,
    provider_ref  TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'succeeded', 'declined', 'cancelled')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX payment_checkouts_one_open ON payment_checkouts (case_id) WHERE status = 'open';
CREATE UNIQUE INDEX payment_checkouts_by_provider_ref ON payment_checkouts (provider, provider_ref);

-- Provider events (webhooks) already handled: a replay changes nothing.
CREATE TABLE payment_events (
    provider     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Who reported each payment: the signed callback (every payment so far), a provider, or an
-- officer at the counter (with the method used).
ALTER TABLE payments ADD COLUMN provider TEXT NOT NULL DEFAULT 'callback';
ALTER TABLE payments ADD COLUMN method TEXT;
