-- Services whose document is issued only once the fee is paid (approval comes first, then the
-- payment, then the document). Off for every existing service: nothing changes until an
-- administrator asks for it.
ALTER TABLE services ADD COLUMN paid_before_issue BOOLEAN NOT NULL DEFAULT FALSE;
