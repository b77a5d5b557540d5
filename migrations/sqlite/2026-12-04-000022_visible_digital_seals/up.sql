-- The visible digital seal printed on a document (ICAO Doc 9303 Part 13), kept as signed so
-- that the bytes served by the API are those on the page. Documents issued before seals have none.
ALTER TABLE issued_documents ADD COLUMN seal BLOB;
