-- Catalogue data in each language: a JSON object of languages, each a map of keys to texts
-- ({"ru": {"name": "...", "field.applicant.surname": "..."}}). The English columns stay the
-- text every language falls back to; built-in services, posts and grounds get their Russian and
-- Kazakh texts when the service starts (rows an administrator has given texts are left alone).
ALTER TABLE services ADD COLUMN texts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE posts ADD COLUMN texts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE refusal_grounds ADD COLUMN texts TEXT NOT NULL DEFAULT '{}';
