-- A count is now the sum of a few rows (shards), each writer thread moving its own, so that
-- changes at one post do not all wait for the same row; the rows already there become shard 0.
-- SQLite cannot change a primary key in place: the table is copied.
CREATE TABLE case_counts_sharded (
    post_code     TEXT NOT NULL,
    service_code  TEXT NOT NULL,
    status        TEXT NOT NULL,
    shard         SMALLINT NOT NULL DEFAULT 0,
    cases         BIGINT NOT NULL,
    PRIMARY KEY (post_code, service_code, status, shard)
);
INSERT INTO case_counts_sharded (post_code, service_code, status, shard, cases)
SELECT post_code, service_code, status, 0, cases FROM case_counts;
DROP TABLE case_counts;
ALTER TABLE case_counts_sharded RENAME TO case_counts;
