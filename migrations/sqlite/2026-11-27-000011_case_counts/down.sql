DROP INDEX cases_by_post_decided;
DROP INDEX cases_by_post_service_status;
DROP TABLE case_counts;
