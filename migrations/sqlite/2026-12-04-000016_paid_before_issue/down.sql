ALTER TABLE services DROP COLUMN paid_before_issue;
