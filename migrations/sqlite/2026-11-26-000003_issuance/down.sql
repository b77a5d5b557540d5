DELETE FROM refusal_grounds WHERE code IN ('CONDITIONS_NO_LONGER_MET', 'HOLDER_REQUEST');
DROP TABLE issuance_jobs;
ALTER TABLE cases DROP COLUMN visa_number;
DROP TABLE visas;
DROP TABLE signing_keys;
