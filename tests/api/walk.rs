//! Every page of the portal, in Russian and in Kazakh, in its ordinary and its error states, read
//! as a reader meets it (text, titles, image descriptions, labels of controls): no English word
//! may be left on it. What the applicant typed, their address, codes and the name of the English
//! language in the language switch are the only Latin words allowed.

use crate::backend_tests;
use crate::helpers::*;
use crate::portal::{Browser, location};
use reqwest::StatusCode;

/// Latin words a Russian or Kazakh page may show: the English language's own name in the
/// switch, the issuing state's and post's codes, currencies and file formats, and the test
/// provider's TEST mark, and UTC.
const ALLOWED: [&str; 9] = ["English", "UTO", "HQ", "EUR", "PDF", "JPEG", "PNG", "TEST", "UTC"];

/// The text a reader meets on a page: its words outside tags, scripts and styles, and the
/// titles, descriptions and labels carried by attributes.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        text.push(' ');
        rest = &rest[open..];
        let lower = rest.get(..8).unwrap_or_default().to_ascii_lowercase();
        for hidden in ["<script", "<style"] {
            if lower.starts_with(hidden) {
                let close = format!("</{}>", &hidden[1..]);
                let end = rest.find(&close).map_or(rest.len(), |at| at + close.len());
                rest = &rest[end..];
            }
        }
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        // What the page marks as not to be translated (codes, keys, JSON) is left out.
        if tag.contains("translate=\"no\"") {
            let name: String = tag[1..].chars().take_while(char::is_ascii_alphanumeric).collect();
            let end = format!("</{name}>");
            let after = rest.find(&end).map_or(rest.len(), |at| at + end.len());
            rest = &rest[after..];
            continue;
        }
        for attribute in ["alt=\"", "title=\"", "placeholder=\"", "aria-label=\""] {
            if let Some(at) = tag.find(attribute) {
                let value = &tag[at + attribute.len()..];
                text.push_str(value.split('"').next().unwrap_or_default());
                text.push(' ');
            }
        }
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
    text.replace("&amp;", "&").replace("&quot;", "\"").replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">")
}

/// The Latin words of `page` that are neither allowed nor among `typed`.
fn english_words(page: &str, typed: &[&str]) -> Vec<String> {
    let mut text = visible_text(page);
    for value in typed {
        text = text.replace(value, " ");
    }
    // "e-mail" is how Russian writes it too; an address is an address in any language.
    let text = text.replace("e-mail", " ").replace("E-mail", " ");
    // So is a reference: a token of letters with digits or underscores.
    let code = |w: &str| {
        w.contains('@')
            || (w.chars().any(|c| c.is_ascii_digit()) && w.chars().any(|c| c.is_ascii_alphabetic()))
            || w.contains('_')
            // A post's code: upper-case parts joined by dashes (UTO-LON).
            || (w.contains('-') && w.chars().any(|c| c.is_ascii_alphabetic()) && !w.chars().any(|c| c.is_ascii_lowercase()))
    };
    let text: String = text.split_whitespace().filter(|w| !code(w)).collect::<Vec<_>>().join(" ");
    let mut found: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| word.len() >= 2 && !ALLOWED.contains(word))
        .map(str::to_owned)
        .collect();
    found.dedup();
    found
}

/// Reads a page and fails on any English word left on it.
pub(crate) struct Walk<'a> {
    pub(crate) lang: &'static str,
    pub(crate) typed: Vec<&'a str>,
    pub(crate) seen: usize,
    /// Each page with English on it, and the words.
    pub(crate) found: Vec<String>,
}

impl Walk<'_> {
    /// Fails unless at least `pages` pages were read, and none of them showed English.
    pub(crate) fn finish(&self, pages: usize) {
        assert!(self.seen >= pages, "{} pages read", self.seen);
        assert!(
            self.found.is_empty(),
            "English left on {} of {} pages:\n{}",
            self.found.len(),
            self.seen,
            self.found.join("\n")
        );
    }

    pub(crate) async fn read(&mut self, what: &str, response: reqwest::Response) {
        let status = response.status();
        let page = response.text().await.unwrap();
        self.read_text(what, status, &page);
    }

    /// Reads a page already fetched.
    pub(crate) fn read_text(&mut self, what: &str, status: reqwest::StatusCode, page: &str) {
        assert!(
            page.contains(&format!("<html lang=\"{}\"", self.lang)),
            "{what} ({status}) is not a {} page: {page}",
            self.lang
        );
        let english = english_words(page, &self.typed);
        if !english.is_empty() {
            self.found.push(format!("{} page {what} ({status}) shows {english:?}", self.lang));
        }
        self.seen += 1;
    }
}

async fn walk(app: &TestApp, lang: &'static str) {
    let applicant = app.applicant(&format!("walk{lang}")).await;
    let email = applicant.email.clone();
    let name = format!("walk{lang}");
    let typed = vec![email.as_str(), name.as_str()];
    let mut walk = Walk { lang, typed, seen: 0, found: Vec::new() };
    let browser = Browser::new(app);
    browser.get(&format!("/?lang={lang}")).await;
    let csrf = browser.csrf().await;

    // Before signing in, and every mistake a visitor can make there.
    for path in [
        "/",
        "/register",
        "/login",
        "/password-reset",
        "/password-reset/confirm?token=abc",
        "/verify-email",
        "/verify-email/again",
        "/no-such-page",
    ] {
        walk.read(path, browser.get(path).await).await;
    }
    let services: serde_json::Value =
        app.request(reqwest::Method::GET, "/api/v1/services", None, None).await.json().await.unwrap();
    for service in services["items"].as_array().unwrap() {
        let path = format!("/apply/{}", service["code"].as_str().unwrap());
        walk.read(&path, browser.get(&path).await).await;
    }
    walk.read("registration with nothing", browser.post("/register", &[("csrf", &csrf)]).await).await;
    let weak = [("csrf", csrf.as_str()), ("full_name", "walk"), ("email", "not-an-address"), ("password", "short")];
    walk.read("registration with mistakes", browser.post("/register", &weak).await).await;
    let wrong = [("csrf", csrf.as_str()), ("email", email.as_str()), ("password", "wrong-password-123")];
    walk.read("a wrong password", browser.post("/login", &wrong).await).await;
    let code = [("csrf", csrf.as_str()), ("email", email.as_str()), ("code", "12")];
    walk.read("a short code", browser.post("/verify-email", &code).await).await;
    let code = [("csrf", csrf.as_str()), ("email", email.as_str()), ("code", "123456")];
    walk.read("a wrong code", browser.post("/verify-email", &code).await).await;
    let again = [("csrf", csrf.as_str()), ("email", email.as_str())];
    walk.read("send the code again", browser.post("/verify-email/again", &again).await).await;
    walk.read("a reset asked for", browser.post("/password-reset", &again).await).await;
    let reset = [("csrf", csrf.as_str()), ("token", "abc"), ("password", "short")];
    walk.read("a wrong reset code", browser.post("/password-reset/confirm", &reset).await).await;
    walk.read("a form without its token", browser.post("/login", &[("email", "x")]).await).await;

    // Signed in: a visa application, every step empty and then answered.
    assert_eq!(browser.sign_in(&email).await.status(), StatusCode::SEE_OTHER);
    let csrf = browser.csrf().await;
    walk.read("no cases yet", browser.get("/account/cases").await).await;
    walk.read("no such case", browser.get("/cases/no-such-case").await).await;
    walk.read("a start without a post", browser.post("/apply/TOURIST", &[("csrf", &csrf)]).await).await;
    let opened = browser.post("/apply/TOURIST", &[("csrf", &csrf), ("post", "UTO-HQ")]).await;
    let case = location(&opened).trim_start_matches("/cases/").split('/').next().unwrap().to_owned();
    let today = chrono::Utc::now().date_naive();
    let days = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let steps: [Vec<(&str, String)>; 4] = [
        vec![
            ("applicant.surname", "Нурлы".into()),
            ("applicant.given_names", "Айгерим".into()),
            ("applicant.sex", "F".into()),
            ("applicant.date_of_birth", "1990-02-15".into()),
            ("applicant.place_of_birth", "Алматы".into()),
            ("applicant.nationality", "KAZ".into()),
        ],
        vec![
            ("passport.number", "N1234567".into()),
            ("passport.issuing_state", "KAZ".into()),
            ("passport.issue_date", "2020-01-10".into()),
            ("passport.expiry_date", days(3000)),
        ],
        vec![
            ("travel.purpose", "Туризм".into()),
            ("travel.arrival_date", days(60)),
            ("travel.departure_date", days(74)),
            ("travel.address", "Гостиница Централь".into()),
        ],
        vec![("contact.email", email.clone()), ("contact.phone", "+7 701 000 0000".into())],
    ];
    for (index, answers) in steps.iter().enumerate() {
        let path = format!("/cases/{case}/step/{}", index + 1);
        walk.read(&path, browser.get(&path).await).await;
        walk.read(&format!("{path} left empty"), browser.post(&path, &[("csrf", &csrf)]).await).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend(answers.iter().map(|(k, v)| (*k, v.as_str())));
        if index == 0 {
            let mut typo = form.clone();
            typo.retain(|(k, _)| *k != "applicant.date_of_birth");
            typo.push(("applicant.date_of_birth", "1990-02-31"));
            walk.read("an impossible date", browser.post(&path, &typo).await).await;
        }
        assert_eq!(browser.post(&path, &form).await.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let documents = format!("/cases/{case}/documents");
    walk.read("documents", browser.get(&documents).await).await;
    let wrong_type = browser.upload(&format!("{documents}/photo"), &csrf, "text/plain", b"not a photo").await;
    walk.read("a photo that is not one", wrong_type).await;
    let broken = browser.upload(&format!("{documents}/photo"), &csrf, "image/png", b"\x89PNG\r\n\x1a\n broken").await;
    walk.read("a photo that cannot be decoded", broken).await;
    let small = browser.upload(&format!("{documents}/photo"), &csrf, "image/png", &photo_png(40, 50)).await;
    walk.read("a photo too small", small).await;
    let check = format!("/cases/{case}/check");
    walk.read("check your answers", browser.get(&check).await).await;
    walk.read("submitted without documents", browser.post(&format!("/cases/{case}/submit"), &[("csrf", &csrf)]).await)
        .await;
    browser.upload(&format!("{documents}/photo"), &csrf, "image/png", &photo_png(413, 531)).await;
    browser.upload(&format!("{documents}/passport"), &csrf, "application/pdf", &minimal_pdf()).await;
    walk.read("documents uploaded", browser.get(&documents).await).await;
    let submitted = browser.post(&format!("/cases/{case}/submit"), &[("csrf", &csrf)]).await;
    walk.read("the confirmation", browser.get(&location(&submitted)).await).await;
    walk.read("the dashboard", browser.get("/account/cases").await).await;
    walk.read("withdraw?", browser.get(&format!("/cases/{case}/withdraw")).await).await;

    // A prepaid request: the payment declined, cancelled, then taken.
    let opened = browser.post("/apply/LEGALISATION", &[("csrf", &csrf), ("post", "UTO-HQ")]).await;
    let paid = location(&opened).trim_start_matches("/cases/").split('/').next().unwrap().to_owned();
    let about = [
        ("csrf", csrf.as_str()),
        ("applicant.surname", "Нурлы"),
        ("applicant.given_names", "Айгерим"),
        ("applicant.date_of_birth", "1990-02-15"),
        ("applicant.nationality", "UTO"),
    ];
    assert_eq!(browser.post(&format!("/cases/{paid}/step/1"), &about).await.status(), StatusCode::SEE_OTHER);
    let document = [
        ("csrf", csrf.as_str()),
        ("document.kind", "Свидетельство"),
        ("document.issued_by", "ЗАГС"),
        ("document.issue_date", "2001-03-04"),
    ];
    assert_eq!(browser.post(&format!("/cases/{paid}/step/2"), &document).await.status(), StatusCode::SEE_OTHER);
    walk.read("check with a fee", browser.get(&format!("/cases/{paid}/check")).await).await;
    for outcome in ["decline", "cancel", "pay"] {
        let started = browser.post(&format!("/cases/{paid}/pay"), &[("csrf", &csrf)]).await;
        let provider = location(&started);
        walk.read("the test provider", browser.get(&provider).await).await;
        let settled = browser.post(&provider, &[("csrf", &csrf), ("outcome", outcome)]).await;
        walk.read(&format!("the payment {outcome}"), browser.get(&location(&settled)).await).await;
    }
    walk.read("a paid case", browser.get(&format!("/cases/{paid}")).await).await;
    walk.finish(51);
}

backend_tests! {
    async fn every_portal_page_speaks_russian_and_kazakh_through_and_through(app: TestApp) {
        walk(&app, "ru").await;
        walk(&app, "kk").await;
    }
}
