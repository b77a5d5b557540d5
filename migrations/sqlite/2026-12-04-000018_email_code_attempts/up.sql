-- Wrong guesses at an e-mailed code: a code is void after a few, whatever its expiry.
ALTER TABLE email_tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
