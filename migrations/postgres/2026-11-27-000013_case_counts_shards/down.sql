CREATE TABLE case_counts_summed AS
SELECT post_code, service_code, status, SUM(cases)::BIGINT AS cases FROM case_counts
GROUP BY post_code, service_code, status;
DROP TABLE case_counts;
ALTER TABLE case_counts_summed RENAME TO case_counts;
ALTER TABLE case_counts ALTER COLUMN post_code SET NOT NULL, ALTER COLUMN service_code SET NOT NULL,
    ALTER COLUMN status SET NOT NULL, ALTER COLUMN cases SET NOT NULL;
ALTER TABLE case_counts ADD PRIMARY KEY (post_code, service_code, status);
