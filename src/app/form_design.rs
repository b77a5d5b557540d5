//! The designer of services' forms: a service's form read as a design, and a design saved as
//! the service's next form version (its schema, the form's words in each language, and its
//! documents), through the same checks as a schema given as raw JSON.

use super::catalogue::{self, ServiceInput};
use super::{Admin, Error, Result};
use crate::db::Db;
use crate::db::catalog::{self, ServiceRow};
use crate::domain::form_design::Design;
use crate::domain::service::DocumentRequirement;

/// The service `code` and its current form as a design.
pub async fn design_of(db: &Db, code: String) -> Result<(ServiceRow, Design)> {
    db.run(move |conn| {
        let service = catalog::find_service(conn, &code)?.ok_or(Error::NotFound)?;
        let schema = catalog::form_schema(conn, &code, service.form_version)?.unwrap_or_default();
        let schema: serde_json::Value = serde_json::from_str(&schema).unwrap_or_default();
        let documents: Vec<DocumentRequirement> = serde_json::from_str(&service.documents).unwrap_or_default();
        let design = Design::read(&schema, &service.texts(), &documents);
        Ok((service, design))
    })
    .await
}

/// Saves `design` as the next form version of service `code`: cases already started keep the
/// version they were started with.
pub async fn save(db: &Db, admin: &Admin, code: String, design: Design, request_id: String) -> Result<ServiceRow> {
    let (service, _) = design_of(db, code.clone()).await?;
    let existing: Vec<DocumentRequirement> = serde_json::from_str(&service.documents).unwrap_or_default();
    let compiled = design.compile(&existing).map_err(Error::Invalid)?;
    let input = ServiceInput {
        form_schema: Some(compiled.schema),
        documents: Some(compiled.documents),
        texts: Some(service.texts().with_form(&compiled.texts)),
        ..ServiceInput::default()
    };
    catalogue::update_service(db, admin, code, input, request_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::forms::{self, Stage};
    use crate::domain::form_design::{
        Choice, Condition, DETAILS, DOCUMENTS, Kind, Page, Question, Words, condition_of, conditionally_required,
        drop_hidden, shown,
    };
    use serde_json::{Value, json};

    fn words(en: &str, ru: &str, kk: &str) -> Words {
        [("en", en), ("ru", ru), ("kk", kk)].into_iter().map(|(l, t)| (l.to_owned(), t.to_owned())).collect()
    }

    fn question(key: &str, kind: Kind, required: bool) -> Question {
        Question {
            key: key.into(),
            kind,
            required,
            label: words(key, key, key),
            hint: Words::new(),
            choices: Vec::new(),
            show_if: None,
        }
    }

    /// A design with the applicant's identity, a purpose, a school asked only for study, and a file.
    fn design() -> Design {
        let applicant = Page {
            key: "applicant".into(),
            title: words("About you", "О вас", "Сіз туралы"),
            questions: vec![
                question("surname", Kind::Text, true),
                question("given_names", Kind::Text, true),
                question("date_of_birth", Kind::Date, true),
                question("nationality", Kind::Country, true),
            ],
        };
        let mut purpose = question("purpose", Kind::Choice, true);
        purpose.choices = vec![
            Choice { value: "study".into(), label: words("Study", "Учёба", "Оқу") },
            Choice { value: "work".into(), label: words("Work", "Работа", "Жұмыс") },
        ];
        let trip =
            Page { key: "trip".into(), title: words("Trip", "Поездка", "Сапар"), questions: vec![purpose] };
        let mut school = question("school", Kind::Text, true);
        school.show_if = Some(Condition { question: "trip.purpose".into(), equals: "study".into() });
        let details = Page {
            key: DETAILS.into(),
            title: words("Details", "Подробности", "Толығырақ"),
            questions: vec![school, question("letter", Kind::File, false)],
        };
        Design { pages: vec![applicant, trip, details] }
    }

    #[test]
    fn a_conditional_question_is_required_only_when_its_condition_holds() {
        let compiled = design().compile(&[]).unwrap();
        assert!(forms::check_schema(&compiled.schema).is_ok(), "{}", compiled.schema);
        let schema = compiled.schema.to_string();
        let person =
            json!({"surname": "Nurly", "given_names": "Aigerim", "date_of_birth": "1991-05-04", "nationality": "KAZ"});
        let fields = |form: Value| -> Vec<String> {
            forms::problems(&schema, &form, Stage::Submission).unwrap().into_iter().map(|p| p.field).collect()
        };
        assert_eq!(fields(json!({"applicant": person, "trip": {"purpose": "study"}})), ["/school"]);
        assert!(fields(json!({"applicant": person, "trip": {"purpose": "work"}})).is_empty());
        assert!(fields(json!({"applicant": person, "trip": {"purpose": "study"}, "school": "KazNU"})).is_empty());
        assert_eq!(conditionally_required(&compiled.schema), ["school"]);
        assert_eq!(compiled.texts.exact("kk", "choice.trip.purpose.study"), Some("Оқу"));
        assert_eq!(compiled.texts.exact("ru", "section.trip"), Some("Поездка"));
        assert_eq!(compiled.documents.len(), 1);
        assert_eq!((compiled.documents[0].kind.as_str(), compiled.documents[0].required), ("letter", false));
    }

    #[test]
    fn a_compiled_design_reads_back_as_itself() {
        let design = design();
        let compiled = design.compile(&[]).unwrap();
        let read = Design::read(&compiled.schema, &compiled.texts, &compiled.documents);
        // The file question comes back on the documents page; everything else as it was.
        let mut expected = design.clone();
        let letter = expected.pages[2].questions.pop().unwrap();
        expected.pages.push(Page {
            key: DOCUMENTS.into(),
            title: read.pages[3].title.clone(),
            questions: vec![letter],
        });
        assert_eq!(read, expected);
    }

    #[test]
    fn hidden_answers_are_dropped_and_conditions_read_from_the_answers() {
        let compiled = design().compile(&[]).unwrap();
        let mut form = json!({"trip": {"purpose": "work"}, "school": "KazNU"});
        drop_hidden(&compiled.schema, &mut form);
        assert_eq!(form, json!({"trip": {"purpose": "work"}}));
        let condition = condition_of(&compiled.schema["properties"]["school"]).unwrap();
        assert!(shown(&condition, &json!({"trip": {"purpose": "study"}})));
        assert!(!shown(&condition, &json!({})));
    }

    #[test]
    fn a_design_names_each_problem() {
        let mut design = design();
        design.pages[1].key = "Trip!".into();
        design.pages[2].questions[0].show_if =
            Some(Condition { question: "trip.purpose".into(), equals: "leisure".into() });
        design.pages[0].questions[0].label.remove("en");
        design.pages[1].questions[0].choices.truncate(1);
        let fields: Vec<String> = design.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "pages[0].questions[0].label.en",
                "pages[1].key",
                "pages[1].questions[0].choices",
                "pages[2].questions[0].show_if"
            ]
        );
    }
}
