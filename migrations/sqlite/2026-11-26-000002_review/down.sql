DROP TABLE refusal_grounds;
ALTER TABLE case_events DROP COLUMN staff_note;
ALTER TABLE cases DROP COLUMN decided_at;
ALTER TABLE cases DROP COLUMN recommended_by;
ALTER TABLE cases DROP COLUMN decision;
ALTER TABLE posts DROP COLUMN four_eyes;
ALTER TABLE visa_types DROP COLUMN four_eyes;
