//! The form renderer: steps drawn from a JSON Schema, posted fields turned into the answers they
//! name.

use super::*;
use serde_json::json;

fn schema() -> Value {
    json!({"title": "Archive extract", "type": "object", "required": ["applicant", "purpose"], "properties": {
        "applicant": {"type": "object", "title": "About you", "required": ["surname"], "properties": {
            "surname": {"type": "string", "title": "Surname"}, "date_of_birth": {"type": "string", "format": "date"}}},
        "purpose": {"enum": ["study", "work"], "title": "Purpose"},
        "copies": {"type": "integer"},
        "notes": {"type": "string", "maxLength": 2000}}})
}

fn english(texts: &Texts) -> Words<'_> {
    Words::new("en", texts, ("UTO", "Republic of Utopia"))
}

#[test]
fn sections_are_steps_and_the_rest_is_one_more() {
    let texts = Texts::default();
    let steps = steps(&schema(), &english(&texts));
    let keys: Vec<&str> = steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["applicant", "details"]);
    let applicant = &steps[0];
    assert_eq!(applicant.title, "About you");
    assert_eq!((applicant.fields[0].name.as_str(), applicant.fields[0].required), ("applicant.surname", true));
    assert_eq!(applicant.fields[1].input, Input::Date);
    assert_eq!(applicant.fields[1].label, "Date of birth");
    let details = &steps[1];
    let inputs: Vec<&Input> = details.fields.iter().map(|f| &f.input).collect();
    let choice = |value: &str, label: &str| Choice { value: value.into(), label: label.into() };
    assert_eq!(
        inputs,
        [&Input::Choice(vec![choice("study", "Study"), choice("work", "Work")]), &Input::Number, &Input::TextArea]
    );
    assert!(details.fields[0].required && !details.fields[1].required);
}

#[test]
fn posted_values_become_a_typed_merge_patch_and_answers_come_back_with_their_errors() {
    let texts = Texts::default();
    let mut steps = steps(&schema(), &english(&texts));
    let posted: HashMap<String, String> = [("purpose", "work"), ("copies", "2"), ("notes", " ")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(patch(&steps[1], &posted), json!({"purpose": "work", "copies": 2, "notes": null}));
    let posted: HashMap<String, String> = [("applicant.surname".to_owned(), "Nurly".to_owned())].into();
    assert_eq!(patch(&steps[0], &posted), json!({"applicant": {"surname": "Nurly", "date_of_birth": null}}));

    let form = json!({"applicant": {"surname": "Nurly"}, "copies": 2});
    let problems = [FieldError::new("/applicant/date_of_birth", "format", "not a date")];
    fill(&mut steps, &form, &problems, "ru");
    assert_eq!(steps[0].fields[0].value, "Nurly");
    let label = &steps[0].fields[1].label;
    let error = steps[0].fields[1].error.clone().unwrap();
    assert_eq!(error, format!("{label}: укажите существующую дату"));
    assert_eq!(steps[1].fields[1].value, "2");
}

#[test]
fn a_service_speaks_the_pages_language_and_english_fills_a_gap() {
    let texts = Texts::parse(
        r#"{"kk": {"section.applicant": "Сіз туралы", "choice.purpose.work": "Жұмыс", "title": "Мұрағат"},
            "en": {"field.copies": "Number of copies"}}"#,
    );
    let mut schema = schema();
    schema["properties"]["applicant"]["properties"]["nationality"] =
        json!({"type": "string", "pattern": "^[A-Z<]{3}$"});
    let steps = steps(&schema, &Words::new("kk", &texts, ("UTO", "Утопия Республикасы")));
    assert_eq!(steps[0].title, "Сіз туралы");
    assert_eq!(steps[0].fields[0].label, "Тегі", "the catalogue's words for fields every form shares");
    let Input::Country(countries) = &steps[0].fields[2].input else { panic!("{:?}", steps[0].fields[2].input) };
    assert_eq!(countries[0], Choice { value: "UTO".into(), label: "Утопия Республикасы".into() });
    assert!(countries.contains(&Choice { value: "KAZ".into(), label: "Қазақстан".into() }));
    assert_eq!(steps[1].title, "Мұрағат");
    let Input::Choice(options) = &steps[1].fields[0].input else { panic!() };
    assert_eq!(options[1].label, "Жұмыс");
    assert_eq!(options[0].label, "Study", "no Kazakh words: the value in words");
    assert_eq!(steps[1].fields[1].label, "Number of copies", "English fills a gap");
    let mut filled = steps.clone();
    fill(&mut filled, &json!({"purpose": "work", "applicant": {"nationality": "KAZ"}}), &[], "kk");
    assert_eq!(filled[1].fields[0].shown.as_deref(), Some("Жұмыс"));
    assert_eq!(filled[0].fields[2].shown.as_deref(), Some("Қазақстан"));
}
