//! The form designer in the console (`/console/admin/services/{code}/form`): an administrator
//! builds a service's form as pages of questions (text, date, choice, country, number, yes/no,
//! file), required or not, with hints, choices and a condition on an earlier answer, each in
//! English, Russian and Kazakh; previews it in each language as applicants will see it; and
//! saves it as the service's next form version. The raw JSON Schema stays editable beside it.
//! No script: the design travels in the form, and each button says what to do with it.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::admin::as_admin;
use super::schema_form::{self, Input, Words as PageWords};
use super::{Ctx, Form, attempt, check_csrf, signed_in};
use crate::app::catalogue::{self, ServiceInput};
use crate::app::{self, form_design};
use crate::domain::FieldError;
use crate::domain::form_design::{Choice, Condition, DETAILS, DOCUMENTS, Design, Kind, Page, Question, Words, path};
use crate::domain::texts::LANGUAGES;

/// Words in each language from the posted fields `<prefix>_en`, `_ru`, `_kk` (blank ones left out).
fn words(form: &HashMap<String, String>, prefix: &str) -> Words {
    LANGUAGES
        .iter()
        .filter_map(|lang| {
            let text = form.get(&format!("{prefix}_{lang}")).map(|t| t.trim()).unwrap_or_default();
            (!text.is_empty()).then(|| (lang.to_string(), text.to_owned()))
        })
        .collect()
}

/// The choices of the posted lines `value | English | Русский | Қазақша`.
fn choices(text: &str) -> Vec<Choice> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut parts = line.split('|').map(str::trim);
            let value = parts.next().unwrap_or_default().to_owned();
            let label = LANGUAGES
                .iter()
                .zip(parts)
                .filter(|(_, t)| !t.is_empty())
                .map(|(l, t)| (l.to_string(), t.to_owned()))
                .collect();
            Choice { value, label }
        })
        .collect()
}

/// The posted new page.
fn new_page(form: &HashMap<String, String>) -> Page {
    let key = form.get("np_key").map(|k| k.trim().to_owned()).unwrap_or_default();
    Page { key, title: words(form, "np_title"), questions: Vec::new() }
}

/// The posted new question.
fn new_question(form: &HashMap<String, String>) -> Question {
    let kind =
        Kind::ALL.into_iter().find(|k| form.get("nq_kind").is_some_and(|v| v == k.as_str())).unwrap_or(Kind::Text);
    let show_if = form
        .get("nq_condition")
        .and_then(|c| c.split_once('='))
        .map(|(question, equals)| Condition { question: question.to_owned(), equals: equals.to_owned() });
    Question {
        key: form.get("nq_key").map(|k| k.trim().to_owned()).unwrap_or_default(),
        kind,
        required: form.get("nq_required").is_some_and(|v| v == "true"),
        label: words(form, "nq_label"),
        hint: words(form, "nq_hint"),
        choices: if kind == Kind::Choice {
            choices(form.get("nq_choices").map(String::as_str).unwrap_or_default())
        } else {
            Vec::new()
        },
        show_if,
    }
}

/// The id of the designer's field a design problem is put right in.
fn field_id(field: &str) -> &'static str {
    let last = field.rsplit('.').next().unwrap_or(field);
    match (field.contains("questions["), last) {
        (false, "key") => "np_key",
        (false, _) => "np_title_en",
        (true, "key") => "nq_key",
        (true, "en") => "nq_label_en",
        (true, "choices") => "nq_choices",
        (true, "show_if") => "nq_condition",
        _ => "nq_key",
    }
}

/// What the page shows besides the design: a refused addition's words, the problems, a preview.
#[derive(Default)]
struct Shown {
    kept: HashMap<String, String>,
    problems: Vec<FieldError>,
    preview: Option<&'static str>,
    raw: Option<String>,
}

/// `GET /console/admin/services/{code}/form`.
async fn show(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let _ = signed_in!(ctx);
    let _admin = as_admin!(ctx);
    let (_, design) = attempt!(ctx, form_design::design_of(&ctx.state.db, path.into_inner()).await);
    let code = ctx.req.match_info().get("code").unwrap_or_default().to_owned();
    page(&ctx, &code, &design, Shown::default()).await
}

/// `POST /console/admin/services/{code}/form`: adds, removes, previews or saves.
async fn change(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let _ = signed_in!(ctx);
    let admin = as_admin!(ctx);
    let code = path.into_inner();
    let form = form.into_inner();
    let Ok(mut design) = serde_json::from_str::<Design>(form.get("design").map(String::as_str).unwrap_or_default())
    else {
        return ctx.fail(app::Error::invalid_field(
            "design",
            "invalid",
            "the design could not be read; reload the page",
        ));
    };
    let op = form.get("op").cloned().unwrap_or_default();
    let mut shown = Shown::default();
    let numbers = |text: &str| -> Vec<usize> { text.split(':').skip(1).filter_map(|n| n.parse().ok()).collect() };
    match op.split(':').next().unwrap_or_default() {
        "add_page" => {
            design.pages.push(new_page(&form));
            shown.problems = design.problems();
            if !shown.problems.is_empty() {
                design.pages.pop();
            }
        }
        "add_question" => {
            let index = form.get("nq_page").and_then(|p| p.parse::<usize>().ok()).filter(|i| *i < design.pages.len());
            let Some(index) = index else {
                return ctx.fail(app::Error::invalid_field("nq_page", "required", "a page of the form"));
            };
            design.pages[index].questions.push(new_question(&form));
            shown.problems = design.problems();
            if !shown.problems.is_empty() {
                design.pages[index].questions.pop();
            }
        }
        "remove_page" => {
            if let [p] = numbers(&op)[..]
                && p < design.pages.len()
            {
                design.pages.remove(p);
            }
        }
        "remove_question" => {
            if let [p, q] = numbers(&op)[..]
                && design.pages.get(p).is_some_and(|page| q < page.questions.len())
            {
                design.pages[p].questions.remove(q);
            }
        }
        "preview" => shown.preview = LANGUAGES.into_iter().find(|l| op.ends_with(&format!(":{l}"))),
        "save" => match form_design::save(&ctx.state.db, &admin, code.clone(), design.clone(), String::new()).await {
            Ok(_) => return ctx.redirect(&format!("/console/admin/services/{code}/form?saved=1")),
            Err(app::Error::Invalid(problems)) => shown.problems = problems,
            Err(other) => return ctx.fail(other),
        },
        "save_raw" => {
            let raw = form.get("raw").cloned().unwrap_or_default();
            let input = match serde_json::from_str::<Value>(&raw) {
                Ok(schema) => ServiceInput { form_schema: Some(schema), ..ServiceInput::default() },
                Err(err) => {
                    shown.problems = vec![FieldError::new("raw", "invalid_json", err.to_string())];
                    shown.raw = Some(raw);
                    return page(&ctx, &code, &design, Shown { kept: form, ..shown }).await;
                }
            };
            match catalogue::update_service(&ctx.state.db, &admin, code.clone(), input, String::new()).await {
                Ok(_) => return ctx.redirect(&format!("/console/admin/services/{code}/form?saved=1")),
                Err(app::Error::Invalid(problems)) => {
                    shown.problems = problems.into_iter().map(|p| FieldError { field: "raw".into(), ..p }).collect();
                    shown.raw = Some(raw);
                }
                Err(other) => return ctx.fail(other),
            }
        }
        _ => {
            return ctx.fail(app::Error::invalid_field(
                "op",
                "invalid",
                "add_page, add_question, remove, preview or save",
            ));
        }
    }
    if !shown.problems.is_empty() {
        shown.kept = form;
    }
    page(&ctx, &code, &design, shown).await
}

/// The questions a condition may name: choice and yes/no questions, with each value they take.
fn conditions(design: &Design, lang: &str) -> Vec<Value> {
    let pick = |words: &Words| words.get(lang).or_else(|| words.get("en")).cloned().unwrap_or_default();
    let mut options = Vec::new();
    for (page, question) in design.questions() {
        let values: Vec<(String, String)> = match question.kind {
            Kind::Choice => question.choices.iter().map(|c| (c.value.clone(), pick(&c.label))).collect(),
            Kind::YesNo => vec![("true".into(), "✓".into()), ("false".into(), "✗".into())],
            _ => continue,
        };
        for (value, label) in values {
            let path = path(&page.key, &question.key);
            options.push(json!({"value": format!("{path}={value}"), "label": format!("{} › {} = {label}", pick(&page.title), pick(&question.label))}));
        }
    }
    options
}

/// The preview of the design in `lang`: its steps as applicants see them (questions with a
/// condition marked as such), or the design's problems.
fn preview(ctx: &Ctx, design: &Design, lang: &'static str) -> Result<Value, Vec<FieldError>> {
    let compiled = design.compile(&[])?;
    let config = &ctx.state.config;
    let words = PageWords::new(lang, &compiled.texts, (&config.issuing_state, config.state_name(lang)));
    let conditional = crate::domain::form_design::conditionally_required(&compiled.schema);
    let steps: Vec<Value> = schema_form::steps(&compiled.schema, &words)
        .into_iter()
        .map(|step| {
            let fields: Vec<Value> = step
                .fields
                .iter()
                .map(|f| {
                    let options = match &f.input {
                        Input::Choice(options) => options.iter().map(|o| o.label.clone()).collect(),
                        _ => Vec::new(),
                    };
                    json!({"label": f.label, "hint": f.hint, "input": f.input, "options": options,
                           "required": f.required || conditional.contains(&f.name), "conditional": f.show_if.is_some()})
                })
                .collect();
            json!({"title": step.title, "fields": fields})
        })
        .collect();
    let documents: Vec<String> = compiled.documents.iter().map(|d| words.document(&d.kind)).collect();
    // The preview's own words are in its language too.
    let messages = super::i18n::messages(lang);
    let said = |key: &str| messages[key].as_str().unwrap_or_default().to_owned();
    Ok(json!({"lang": lang, "steps": steps, "documents": documents,
              "words": {"optional": said("optional"), "conditional": said("shown_if_answered"), "documents": said("documents")}}))
}

async fn page(ctx: &Ctx, code: &str, design: &Design, shown: Shown) -> HttpResponse {
    let lang = ctx.lang;
    let lookup = code.to_owned();
    let (service, schema) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(move |conn| {
                let service = crate::db::catalog::find_service(conn, &lookup)?.ok_or(app::Error::NotFound)?;
                let schema = crate::db::catalog::form_schema(conn, &lookup, service.form_version)?.unwrap_or_default();
                Ok((service, schema))
            })
            .await
    );
    // The design's words as the portal would say them in the page's language: the design's own,
    // then the catalogue's words for questions every form shares.
    let config = &ctx.state.config;
    let texts = service.texts();
    let portal = PageWords::new(lang, &texts, (&config.issuing_state, config.state_name(lang)));
    let pick = |words: &Words| words.get(lang).cloned();
    let pages: Vec<Value> = design
        .pages
        .iter()
        .enumerate()
        .map(|(p, page)| {
            let questions: Vec<Value> = page
                .questions
                .iter()
                .enumerate()
                .map(|(q, question)| {
                    let condition = question.show_if.as_ref().map(|c| format!("{} = {}", c.question, c.equals));
                    let label = pick(&question.label).unwrap_or_else(|| {
                        let english = question.label.get("en").map(String::as_str);
                        if question.kind == Kind::File {
                            portal.document(&question.key)
                        } else {
                            portal.field(&path(&page.key, &question.key), english)
                        }
                    });
                    let languages: Vec<String> = LANGUAGES
                        .iter()
                        .filter(|l| question.label.contains_key(**l))
                        .map(|l| ctx.t(&format!("language_{l}")))
                        .collect();
                    json!({"index": q, "key": question.key, "kind": ctx.t(&format!("kind_{}", question.kind.as_str())),
                           "required": question.required, "label": label, "condition": condition, "languages": languages})
                })
                .collect();
            let title = pick(&page.title)
                .unwrap_or_else(|| match page.key.as_str() {
                    DOCUMENTS => ctx.t("documents"),
                    DETAILS => portal.form_title(page.title.get("en").map(String::as_str)),
                    key => portal.section(key, page.title.get("en").map(String::as_str)),
                });
            json!({"index": p, "key": page.key, "title": title, "questions": questions})
        })
        .collect();
    let (preview, mut problems) = match shown.preview.map(|l| preview(ctx, design, l)) {
        Some(Ok(preview)) => (Some(preview), shown.problems),
        Some(Err(problems)) => (None, problems),
        None => (None, shown.problems),
    };
    problems.dedup_by(|a, b| a.field == b.field);
    let errors: Vec<Value> = problems
        .iter()
        .map(|p| {
            let id = if p.field == "raw" { "raw" } else { field_id(&p.field) };
            // The designer's own words for its fields' problems, else the problem's.
            let key = format!("error_{id}_{}", p.code);
            let text = match ctx.t(&key) {
                said if said != key => said,
                _ => format!("{}: {}", ctx.t(id), p.detail),
            };
            json!({"text": text, "id": id})
        })
        .collect();
    let kinds: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| json!({"value": k.as_str(), "label": ctx.t(&format!("kind_{}", k.as_str()))}))
        .collect();
    let raw = shown.raw.unwrap_or_else(|| {
        serde_json::from_str::<Value>(&schema).and_then(|v| serde_json::to_string_pretty(&v)).unwrap_or(schema)
    });
    let notice = ctx.req.query_string().contains("saved=1").then(|| ctx.t("saved"));
    ctx.render_status(
        super::status_for(errors.is_empty()),
        "console_form_designer.html",
        json!({"title": format!("{} · {}", ctx.t("form_designer"), service.name_in(lang)), "code": code,
               "service": service.name_in(lang), "version": service.form_version, "pages": pages,
               "design": serde_json::to_string(design).unwrap_or_default(), "kinds": kinds, "conditions": conditions(design, lang),
               "kept": shown.kept, "errors": errors, "preview": preview, "raw": raw, "notice": notice,
               "design_languages": LANGUAGES}),
    )
}

/// The designer's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/admin/services/{code}/form", web::get().to(show))
        .route("/console/admin/services/{code}/form", web::post().to(change));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_one_per_line_with_their_words_in_each_language() {
        let read = choices("study | Study | Учёба | Оқу\nwork | Work\n\n");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].value, "study");
        assert_eq!(read[0].label["kk"], "Оқу");
        assert_eq!(read[1].label.len(), 1);
        assert_eq!(field_id("pages[2].questions[0].show_if"), "nq_condition");
        assert_eq!(field_id("pages[3].title.en"), "np_title_en");
    }
}
