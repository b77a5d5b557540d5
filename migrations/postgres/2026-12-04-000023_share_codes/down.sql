DROP TABLE share_code_checks;
DROP TABLE share_codes;
