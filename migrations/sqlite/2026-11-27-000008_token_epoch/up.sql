-- Access tokens carry their account's epoch; bumping it ends every session of the account
-- (disabled, role or post changed, password changed or reset, signed out everywhere).

ALTER TABLE users ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0;
