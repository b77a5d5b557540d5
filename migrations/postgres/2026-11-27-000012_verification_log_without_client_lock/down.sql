ALTER TABLE verification_log
    ADD CONSTRAINT verification_log_client_id_fkey FOREIGN KEY (client_id) REFERENCES api_clients (id);
