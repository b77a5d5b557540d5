DROP INDEX visas_by_revocation;
DROP TABLE verification_log;
DROP TABLE api_clients;
