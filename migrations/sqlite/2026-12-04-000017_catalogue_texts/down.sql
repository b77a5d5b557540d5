ALTER TABLE refusal_grounds DROP COLUMN texts;
ALTER TABLE posts DROP COLUMN texts;
ALTER TABLE services DROP COLUMN texts;
