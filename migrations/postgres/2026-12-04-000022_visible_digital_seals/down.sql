ALTER TABLE issued_documents DROP COLUMN seal;
