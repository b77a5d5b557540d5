CREATE TABLE case_counts_summed (
    post_code     TEXT NOT NULL,
    service_code  TEXT NOT NULL,
    status        TEXT NOT NULL,
    cases         BIGINT NOT NULL,
    PRIMARY KEY (post_code, service_code, status)
);
INSERT INTO case_counts_summed (post_code, service_code, status, cases)
SELECT post_code, service_code, status, SUM(cases) FROM case_counts GROUP BY post_code, service_code, status;
DROP TABLE case_counts;
ALTER TABLE case_counts_summed RENAME TO case_counts;
