//! The portal's languages: English, Russian and Kazakh. Each has a catalogue of messages
//! (`templates/pages/i18n/<language>.json`), English filling any gap. The choice comes from the
//! language switch (`?lang=`), then the cookie it sets, the account's preferred language (which
//! the e-mails follow), and the browser's `Accept-Language`.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::domain::{FieldError, password_policy};

/// The language cookie.
pub const LANG_COOKIE: &str = "evisa_lang";

/// The languages, with their names in themselves.
pub const LANGUAGES: [(&str, &str); 3] = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")];

const CATALOGUES: [(&str, &str); 3] = [
    ("en", include_str!("../../../templates/pages/i18n/en.json")),
    ("ru", include_str!("../../../templates/pages/i18n/ru.json")),
    ("kk", include_str!("../../../templates/pages/i18n/kk.json")),
];

/// A supported language code, if `code` names one.
pub fn supported(code: &str) -> Option<&'static str> {
    let code = code.trim().to_ascii_lowercase();
    let primary = code.split(['-', '_']).next().unwrap_or_default();
    LANGUAGES.iter().map(|(c, _)| *c).find(|c| *c == primary)
}

fn catalogues() -> &'static HashMap<&'static str, Value> {
    static ALL: OnceLock<HashMap<&'static str, Value>> = OnceLock::new();
    ALL.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default();
        let english = parse(CATALOGUES[0].1);
        CATALOGUES
            .iter()
            .map(|(code, text)| {
                let mut messages = english.clone();
                messages.extend(parse(text));
                (*code, Value::Object(messages))
            })
            .collect()
    })
}

/// The messages of a language (English for any other code).
pub fn messages(lang: &str) -> &'static Value {
    let all = catalogues();
    all.get(lang).unwrap_or_else(|| &all["en"])
}

/// The words for a problem with an answer, in `lang`, naming the field by its `label`: the
/// catalogue's message for the field's section or name and the problem's code
/// (`error_documents_required`, `error_password_too_short`), else for the code alone
/// (`error_required`); the problem's own (English) text only where the catalogue has none.
pub fn problem(lang: &str, problem: &FieldError, label: Option<&str>) -> String {
    let segments: Vec<&str> = problem.field.split(['.', '/']).filter(|s| !s.is_empty()).collect();
    let keys = [
        segments.first().map(|s| format!("error_{s}_{}", problem.code)),
        segments.last().map(|s| format!("error_{s}_{}", problem.code)),
        Some(format!("error_{}", problem.code)),
    ];
    let found = keys.into_iter().flatten().find_map(|key| messages(lang)[key.as_str()].as_str());
    let text = match found {
        Some(text) => text
            .replace("{label}", label.map_or_else(|| message(lang, "this_answer"), str::to_owned).as_str())
            .replace("{min}", &password_policy::MIN_LENGTH.to_string())
            .replace("{max}", &password_policy::MAX_LENGTH.to_string()),
        None => label.map_or_else(|| problem.detail.clone(), |l| format!("{l}: {}", problem.detail)),
    };
    // A label that is a question ends its own sentence: "What is it? Enter an answer".
    match text.split_once("?: ") {
        Some((question, rest)) => {
            let mut chars = rest.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
            format!("{question}? {first}{}", chars.as_str())
        }
        None => text,
    }
}

/// A date as the language writes it: `12 April 1985` in English, `12.04.1985` in Russian and
/// Kazakh.
pub fn date(lang: &str, day: chrono::NaiveDate) -> String {
    crate::domain::dates::written(lang, day)
}

/// One message; its key when no catalogue has it.
pub fn message(lang: &str, key: &str) -> String {
    messages(lang)[key].as_str().map_or_else(|| key.to_owned(), str::to_owned)
}

/// The language of a request: the switch, the cookie, the account's choice, the browser's.
pub fn choose(req: &HttpRequest, preferred: Option<&str>) -> (&'static str, bool) {
    let switched = req.query_string().split('&').find_map(|pair| pair.strip_prefix("lang=")).and_then(supported);
    if let Some(lang) = switched {
        return (lang, true);
    }
    let cookie = req.cookie(LANG_COOKIE).and_then(|c| supported(c.value()));
    let browser = || {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').find_map(|part| supported(part.split(';').next().unwrap_or_default())))
    };
    (cookie.or_else(|| preferred.and_then(supported)).or_else(browser).unwrap_or("en"), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_told_in_the_catalogues_words_with_the_fields_label() {
        let short = FieldError::new("password", "too_short", "the password must have at least 10 characters");
        assert_eq!(
            problem("ru", &short, Some("Пароль")),
            format!("Пароль должен содержать не менее {} символов", password_policy::MIN_LENGTH)
        );
        let missing = FieldError::new("documents.passport", "required", "a passport scan must be uploaded");
        assert_eq!(problem("kk", &missing, Some("Паспорт")), "Паспорт: файлды жүктеңіз");
        let required = FieldError::new("/applicant/surname", "required", "\"surname\" is a required property");
        assert_eq!(problem("ru", &required, Some("Фамилия")), "Фамилия: укажите ответ");
        assert_eq!(problem("ru", &required, None), "Этот ответ: укажите ответ");
        assert_eq!(problem("kk", &required, Some("Бұл қандай құжат?")), "Бұл қандай құжат? Жауапты енгізіңіз");
        let odd = FieldError::new("x", "no_such_code", "as the use case put it");
        assert_eq!(
            problem("ru", &odd, Some("X")),
            "X: as the use case put it",
            "the detail only where the catalogue has nothing"
        );
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let day = chrono::NaiveDate::from_ymd_opt(1985, 4, 12).unwrap();
        assert_eq!(date("en", day), "12 April 1985");
        assert_eq!(date("ru", day), "12.04.1985");
        assert_eq!(date("kk", day), "12.04.1985");
    }

    #[test]
    fn every_language_has_every_english_message() {
        let english = serde_json::from_str::<Map<String, Value>>(CATALOGUES[0].1).unwrap();
        for (code, text) in &CATALOGUES[1..] {
            let catalogue = serde_json::from_str::<Map<String, Value>>(text).unwrap();
            let missing: Vec<&String> = english.keys().filter(|k| !catalogue.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
        }
        assert_eq!(message("ru", "sign_in"), "Войти");
        assert_eq!(message("de", "sign_in"), "Sign in");
    }

    #[test]
    fn the_switch_then_the_cookie_then_the_account_then_the_browser() {
        let req = actix_web::test::TestRequest::default()
            .uri("/?lang=kk")
            .insert_header((header::ACCEPT_LANGUAGE, "ru-RU,ru;q=0.9"))
            .to_http_request();
        assert_eq!(choose(&req, Some("en")), ("kk", true));
        let req = actix_web::test::TestRequest::default()
            .insert_header((header::ACCEPT_LANGUAGE, "de-DE, ru;q=0.8"))
            .to_http_request();
        assert_eq!(choose(&req, None), ("ru", false));
        assert_eq!(choose(&req, Some("kk")), ("kk", false));
    }
}
