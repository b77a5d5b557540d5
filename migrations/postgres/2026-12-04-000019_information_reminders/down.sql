DELETE FROM jobs WHERE kind = 'remind_information';
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('issue_output', 'send_email'));
