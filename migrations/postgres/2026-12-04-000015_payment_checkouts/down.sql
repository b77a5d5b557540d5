ALTER TABLE payments DROP COLUMN method;
ALTER TABLE payments DROP COLUMN provider;
DROP TABLE payment_events;
DROP TABLE payment_checkouts;
