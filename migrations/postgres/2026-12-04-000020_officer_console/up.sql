-- An officer may say until when they are away: an answer to their request for information that
-- arrives meanwhile goes back to the queue instead of waiting for them.
ALTER TABLE users ADD COLUMN away_until TIMESTAMP;

-- What a service does when a request for information is not answered by its date: the officer
-- decides (the case comes back to them) or the request is refused for lack of information.
ALTER TABLE services ADD COLUMN information_lapse TEXT NOT NULL DEFAULT 'officer'
    CHECK (information_lapse IN ('officer', 'refuse'));
-- Whether the time an applicant takes to answer a request for information is added to the
-- decision deadline (the legal clock stops while the administration waits), as most laws say.
ALTER TABLE services ADD COLUMN information_pauses_clock BOOLEAN NOT NULL DEFAULT TRUE;

-- Schedules per post and appointment service; '' is the post's schedule for every appointment
-- service without one of its own (every schedule published so far).
ALTER TABLE post_schedules ADD COLUMN service_code TEXT NOT NULL DEFAULT '';
ALTER TABLE post_schedules DROP CONSTRAINT post_schedules_pkey;
ALTER TABLE post_schedules ADD PRIMARY KEY (post_code, service_code);

-- Places are counted per schedule: a service with its own schedule has its own desks.
ALTER TABLE appointment_slots ADD COLUMN service_code TEXT NOT NULL DEFAULT '';
ALTER TABLE appointment_slots DROP CONSTRAINT appointment_slots_pkey;
ALTER TABLE appointment_slots ADD PRIMARY KEY (post_code, service_code, starts_at);

-- Which schedule's place an appointment holds, and whether the applicant came.
ALTER TABLE appointments ADD COLUMN schedule_service TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN attendance TEXT CHECK (attendance IN ('attended', 'no_show'));
ALTER TABLE appointments ADD COLUMN attendance_by TEXT REFERENCES users (id);
ALTER TABLE appointments ADD COLUMN attendance_at TIMESTAMP;

-- The ground of a request refused because the information asked for never came.
INSERT INTO refusal_grounds (code, title, description, applies_to, sort_order) VALUES
    ('INFORMATION_NOT_PROVIDED', 'Information not provided',
     'The information or documents requested were not provided by the date set.', 'refusal', 100)
ON CONFLICT (code) DO NOTHING;
