-- Notifications: verified e-mail addresses, single-use e-mail tokens, and the outbox.

ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
UPDATE users SET email_verified_at = created_at WHERE role <> 'applicant';

CREATE TABLE email_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,
    event            TEXT NOT NULL,
    case_id          TEXT REFERENCES cases (id),
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    attachment_key   TEXT,
    attachment_name  TEXT,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_after        TIMESTAMP NOT NULL,
    locked_until     TIMESTAMP,
    last_error       TEXT,
    created_at       TIMESTAMP NOT NULL,
    sent_at          TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, run_after);
