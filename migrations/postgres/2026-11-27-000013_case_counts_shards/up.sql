-- Each post's count rows were moved by every change of status at the post, and each move holds
-- the row's lock until its transaction commits: claims at one post waited for each other's
-- commits (a third of their throughput on PostgreSQL). A count is now the sum of a few rows
-- (shards), each writer thread moving its own; the rows already there become shard 0.
ALTER TABLE case_counts ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE case_counts DROP CONSTRAINT case_counts_pkey;
ALTER TABLE case_counts ADD PRIMARY KEY (post_code, service_code, status, shard);
