DROP TABLE case_documents;
DROP TABLE case_events;
DROP TABLE cases;
DROP TABLE reference_counters;
DROP TABLE visa_types;
DROP TABLE users;
DROP TABLE posts;
