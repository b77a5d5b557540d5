//! The visa application form's rules: a complete form, every missing field named, dates and names
//! refused as the law says.

use super::*;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn complete() -> VisaApplicationForm {
    serde_json::from_value(serde_json::json!({
        "applicant": {"surname": "Smith", "given_names": "John Paul", "sex": "M",
                      "date_of_birth": "1990-02-15", "place_of_birth": "Leeds", "nationality": "GBR"},
        "passport": {"number": "123456789", "issuing_state": "GBR",
                     "issue_date": "2020-01-10", "expiry_date": "2030-01-09"},
        "travel": {"purpose": "tourism", "arrival_date": "2027-03-01", "departure_date": "2027-03-14",
                   "address": "Hotel Astana, Kabanbay Batyr 1"},
        "contact": {"email": "john@example.org", "phone": "+44 20 7946 0000"}
    }))
    .unwrap()
}

fn ctx() -> SubmissionContext {
    SubmissionContext { today: date("2026-11-26"), max_stay_days: 30 }
}

fn codes(problems: &[FieldError]) -> Vec<(&str, &str)> {
    problems.iter().map(|p| (p.field.as_str(), p.code.as_str())).collect()
}

#[test]
fn a_complete_application_has_no_problems() {
    assert_eq!(complete().submission_problems(&ctx()), vec![]);
}

#[test]
fn an_empty_draft_lists_every_missing_field() {
    let problems = VisaApplicationForm::default().submission_problems(&ctx());
    assert_eq!(problems.len(), 16);
    assert!(problems.iter().any(|p| p.field == "contact.phone" && p.code == "required"));
}

#[test]
fn the_passport_must_outlast_departure_by_three_months() {
    let mut form = complete();
    form.passport.expiry_date = Some(date("2027-06-13"));
    assert_eq!(codes(&form.submission_problems(&ctx())), vec![("passport.expiry_date", "expires_too_soon")]);
    form.passport.expiry_date = Some(date("2027-06-14"));
    assert_eq!(form.submission_problems(&ctx()), vec![]);
}

#[test]
fn arrival_must_be_in_the_future_and_before_departure() {
    let mut form = complete();
    form.travel.arrival_date = Some(date("2026-11-26"));
    form.travel.departure_date = Some(date("2026-11-20"));
    assert_eq!(
        codes(&form.submission_problems(&ctx())),
        vec![("travel.arrival_date", "not_in_future"), ("travel.departure_date", "before_arrival")]
    );
}

#[test]
fn the_stay_counts_both_ends_and_is_bounded_by_the_visa_type() {
    let mut form = complete();
    form.travel.departure_date = Some(date("2027-03-30"));
    assert_eq!(form.submission_problems(&ctx()), vec![]);
    form.travel.departure_date = Some(date("2027-03-31"));
    assert_eq!(codes(&form.submission_problems(&ctx())), vec![("travel.departure_date", "stay_too_long")]);
}

#[test]
fn names_keep_their_script_but_refuse_digits() {
    let mut form = complete();
    form.applicant.surname = Some("Жумабаев".into());
    form.applicant.given_names = Some("Ærøskøbing-Åsa".into());
    assert_eq!(form.field_problems(ctx().today), vec![]);
    form.applicant.surname = Some("Smith2".into());
    assert_eq!(codes(&form.field_problems(ctx().today)), vec![("applicant.surname", "invalid")]);
    // A name with no Latin form would print blank on the visa and in its MRZ.
    form.applicant.surname = Some("王".into());
    form.applicant.given_names = Some("محمد".into());
    assert_eq!(
        codes(&form.field_problems(ctx().today)),
        vec![("applicant.surname", "not_transliterable"), ("applicant.given_names", "not_transliterable")]
    );
}

#[test]
fn normalise_trims_and_upper_cases_the_passport_number() {
    let mut form = complete();
    form.passport.number = Some(" ab12345 ".into());
    form.travel.purpose = Some("   ".into());
    form.normalise();
    assert_eq!(form.passport.number.as_deref(), Some("AB12345"));
    assert_eq!(form.travel.purpose, None);
}

#[test]
fn unknown_fields_are_refused() {
    let result: Result<VisaApplicationForm, _> =
        serde_json::from_value(serde_json::json!({"travel": {"arival_date": "2027-01-01"}}));
    assert!(result.is_err());
}

/// The schema the e-visa's services were given by migration 7, before the form described itself.
fn released_schema() -> serde_json::Value {
    let migration = include_str!("../../../../migrations/sqlite/2026-11-27-000007_case_engine/up.sql");
    let start = migration.find("'{\"$schema\"").expect("the schema's literal") + 1;
    let end = start + migration[start..].find("}'").expect("its end") + 1;
    serde_json::from_str(&migration[start..end]).unwrap()
}

#[test]
fn the_schema_is_made_from_the_form_and_is_the_one_released() {
    let schema = schema();
    assert_eq!(schema, released_schema(), "{}", serde_json::to_string_pretty(&schema).unwrap());
    // What the schema names is what the form reads: every property, and nothing else.
    let sections = schema["properties"].as_object().unwrap();
    let mut answers = serde_json::Map::new();
    for (section, described) in sections {
        let fields = described["properties"].as_object().unwrap();
        let sample: serde_json::Map<_, _> = fields.keys().map(|k| (k.clone(), serde_json::Value::Null)).collect();
        answers.insert(section.clone(), sample.into());
    }
    let read: VisaApplicationForm = serde_json::from_value(answers.into()).unwrap();
    assert_eq!(read, VisaApplicationForm::default());
    let required: Vec<String> = REQUIRED.iter().map(|path| path.replace('.', "/")).collect();
    for path in required {
        let (section, field) = path.split_once('/').unwrap();
        assert!(sections[section]["properties"].get(field).is_some(), "{path} is described");
    }
}
