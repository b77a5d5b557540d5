-- Counts of cases by post, service and status (drafts aside), kept in the transaction of every
-- change, so that statistics read a handful of rows however long a post's history grows.
CREATE TABLE case_counts (
    post_code     TEXT NOT NULL,
    service_code  TEXT NOT NULL,
    status        TEXT NOT NULL,
    cases         BIGINT NOT NULL,
    PRIMARY KEY (post_code, service_code, status)
);

INSERT INTO case_counts (post_code, service_code, status, cases)
SELECT post_code, service_code, status, COUNT(*) FROM cases WHERE status <> 'draft'
GROUP BY post_code, service_code, status;

-- A post's queue of one service, and its recent decisions with what their times need (read
-- from the index alone).
CREATE INDEX cases_by_post_service_status ON cases (post_code, service_code, status, decision_deadline);
CREATE INDEX cases_by_post_decided ON cases (post_code, decided_at, service_code, submitted_at);
