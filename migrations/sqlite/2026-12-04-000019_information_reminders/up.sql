-- A third kind of job: reminding an applicant of a request for information before its date.
-- SQLite cannot change a CHECK constraint, so the queue is rebuilt with every row kept.
CREATE TABLE jobs_new (
    kind          TEXT NOT NULL CHECK (kind IN ('issue_output', 'send_email', 'remind_information')),
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
INSERT INTO jobs_new (kind, subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at)
SELECT kind, subject, status, attempts, run_after, locked_until, last_error, created_at, updated_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (status, kind, run_after);
