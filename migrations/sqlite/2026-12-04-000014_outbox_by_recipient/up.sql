CREATE INDEX outbox_by_recipient ON outbox (recipient, created_at);
