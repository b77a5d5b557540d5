-- Officer review: four-eyes policies, refusal grounds, decisions and their deciders.

ALTER TABLE visa_types ADD COLUMN four_eyes BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE visa_types SET four_eyes = TRUE WHERE category = 'long_stay' OR code = 'WORK';

ALTER TABLE posts ADD COLUMN four_eyes BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE cases ADD COLUMN decision TEXT;
ALTER TABLE cases ADD COLUMN recommended_by TEXT REFERENCES users (id);
ALTER TABLE cases ADD COLUMN decided_at TIMESTAMP;

ALTER TABLE case_events ADD COLUMN staff_note TEXT;

CREATE TABLE refusal_grounds (
    code        TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    applies_to  TEXT NOT NULL CHECK (applies_to IN ('refusal', 'revocation', 'both')),
    sort_order  INTEGER NOT NULL
);

INSERT INTO refusal_grounds (code, title, description, applies_to, sort_order) VALUES
    ('FORGED_DOCUMENT', 'False or forged travel document',
     'A false, counterfeit or forged travel document was presented.', 'both', 10),
    ('PURPOSE_NOT_JUSTIFIED', 'Purpose of stay not justified',
     'The purpose and conditions of the intended stay were not justified.', 'both', 20),
    ('INSUFFICIENT_MEANS', 'Insufficient means of subsistence',
     'Sufficient means of subsistence for the duration of the stay and for the return were not shown.', 'both', 30),
    ('MAXIMUM_STAY_USED', 'Maximum stay already used',
     'The applicant has already stayed in the country for the maximum period allowed.', 'refusal', 40),
    ('ENTRY_BAN', 'Entry ban',
     'An alert or entry ban is in force against the applicant.', 'both', 50),
    ('PUBLIC_ORDER_THREAT', 'Threat to public order',
     'The applicant is considered a threat to public policy, internal security, public health or international relations.', 'both', 60),
    ('NO_MEDICAL_INSURANCE', 'No travel medical insurance',
     'Adequate and valid travel medical insurance was not shown.', 'refusal', 70),
    ('UNRELIABLE_STATEMENTS', 'Doubts on the reliability of statements',
     'There are reasonable doubts about the authenticity of the supporting documents or the truth of their content.', 'both', 80),
    ('INTENTION_TO_LEAVE', 'Doubts on the intention to leave',
     'There are reasonable doubts about the applicant''s intention to leave the country before the visa expires.', 'refusal', 90);
