-- A third kind of job: reminding an applicant of a request for information before its date.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('issue_output', 'send_email', 'remind_information'));
