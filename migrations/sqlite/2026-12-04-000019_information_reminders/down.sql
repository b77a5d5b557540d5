DELETE FROM jobs WHERE kind = 'remind_information';
CREATE TABLE jobs_old (
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
INSERT INTO jobs_old (kind, subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at)
SELECT kind, subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_old RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (status, kind, run_after);
