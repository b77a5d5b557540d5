DROP TABLE appointments;
DROP TABLE appointment_slots;
DROP TABLE post_schedules;
DROP TABLE certificates;
DROP TABLE payments;
DROP TABLE case_fees;
