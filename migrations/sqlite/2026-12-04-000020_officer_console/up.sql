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
-- service without one of its own (every schedule published so far). SQLite cannot change a
-- primary key, so the two tables are rebuilt with every row kept.
CREATE TABLE post_schedules_new (
    post_code          TEXT NOT NULL REFERENCES posts (code),
    service_code       TEXT NOT NULL DEFAULT '',
    slot_minutes       INTEGER NOT NULL CHECK (slot_minutes > 0),
    capacity_per_slot  INTEGER NOT NULL CHECK (capacity_per_slot > 0),
    hours              TEXT NOT NULL,
    closed_dates       TEXT NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (post_code, service_code)
);
INSERT INTO post_schedules_new (post_code, service_code, slot_minutes, capacity_per_slot, hours, closed_dates, updated_at)
SELECT post_code, '', slot_minutes, capacity_per_slot, hours, closed_dates, updated_at FROM post_schedules;
DROP TABLE post_schedules;
ALTER TABLE post_schedules_new RENAME TO post_schedules;

-- Places are counted per schedule: a service with its own schedule has its own desks.
CREATE TABLE appointment_slots_new (
    post_code     TEXT NOT NULL REFERENCES posts (code),
    service_code  TEXT NOT NULL DEFAULT '',
    starts_at     TIMESTAMP NOT NULL,
    booked        INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (post_code, service_code, starts_at)
);
INSERT INTO appointment_slots_new (post_code, service_code, starts_at, booked)
SELECT post_code, '', starts_at, booked FROM appointment_slots;
DROP TABLE appointment_slots;
ALTER TABLE appointment_slots_new RENAME TO appointment_slots;

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
