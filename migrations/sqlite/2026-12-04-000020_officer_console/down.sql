DELETE FROM refusal_grounds WHERE code = 'INFORMATION_NOT_PROVIDED';
ALTER TABLE appointments DROP COLUMN attendance_at;
ALTER TABLE appointments DROP COLUMN attendance_by;
ALTER TABLE appointments DROP COLUMN attendance;
ALTER TABLE appointments DROP COLUMN schedule_service;
CREATE TABLE appointment_slots_old (
    post_code  TEXT NOT NULL REFERENCES posts (code),
    starts_at  TIMESTAMP NOT NULL,
    booked     INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (post_code, starts_at)
);
INSERT INTO appointment_slots_old SELECT post_code, starts_at, SUM(booked) FROM appointment_slots GROUP BY post_code, starts_at;
DROP TABLE appointment_slots;
ALTER TABLE appointment_slots_old RENAME TO appointment_slots;
CREATE TABLE post_schedules_old (
    post_code          TEXT PRIMARY KEY REFERENCES posts (code),
    slot_minutes       INTEGER NOT NULL CHECK (slot_minutes > 0),
    capacity_per_slot  INTEGER NOT NULL CHECK (capacity_per_slot > 0),
    hours              TEXT NOT NULL,
    closed_dates       TEXT NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
INSERT INTO post_schedules_old SELECT post_code, slot_minutes, capacity_per_slot, hours, closed_dates, updated_at
FROM post_schedules WHERE service_code = '';
DROP TABLE post_schedules;
ALTER TABLE post_schedules_old RENAME TO post_schedules;
ALTER TABLE services DROP COLUMN information_pauses_clock;
ALTER TABLE services DROP COLUMN information_lapse;
ALTER TABLE users DROP COLUMN away_until;
