//! E-mail templates: `templates/email/<event>/<language>/{subject.txt,body.txt,body.html}`,
//! embedded in the binary and rendered with minijinja. English is the fallback language.

use minijinja::Environment;
use serde::Serialize;
use std::sync::OnceLock;

macro_rules! template {
    ($path:literal) => {
        ($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email/", $path)))
    };
}

/// Every template, by its path under `templates/email/`.
const TEMPLATES: &[(&str, &str)] = &[
    template!("account_exists/en/body.html"),
    template!("account_exists/en/body.txt"),
    template!("account_exists/en/subject.txt"),
    template!("account_exists/kk/body.html"),
    template!("account_exists/kk/body.txt"),
    template!("account_exists/kk/subject.txt"),
    template!("account_exists/ru/body.html"),
    template!("account_exists/ru/body.txt"),
    template!("account_exists/ru/subject.txt"),
    template!("answer_received/en/body.html"),
    template!("answer_received/en/body.txt"),
    template!("answer_received/en/subject.txt"),
    template!("answer_received/kk/body.html"),
    template!("answer_received/kk/body.txt"),
    template!("answer_received/kk/subject.txt"),
    template!("answer_received/ru/body.html"),
    template!("answer_received/ru/body.txt"),
    template!("answer_received/ru/subject.txt"),
    template!("appointment_booked/en/body.html"),
    template!("appointment_booked/en/body.txt"),
    template!("appointment_booked/en/subject.txt"),
    template!("appointment_booked/kk/body.html"),
    template!("appointment_booked/kk/body.txt"),
    template!("appointment_booked/kk/subject.txt"),
    template!("appointment_booked/ru/body.html"),
    template!("appointment_booked/ru/body.txt"),
    template!("appointment_booked/ru/subject.txt"),
    template!("approved/en/body.html"),
    template!("approved/en/body.txt"),
    template!("approved/en/subject.txt"),
    template!("approved/kk/body.html"),
    template!("approved/kk/body.txt"),
    template!("approved/kk/subject.txt"),
    template!("approved/ru/body.html"),
    template!("approved/ru/body.txt"),
    template!("approved/ru/subject.txt"),
    template!("info_reminder/en/body.html"),
    template!("info_reminder/en/body.txt"),
    template!("info_reminder/en/subject.txt"),
    template!("info_reminder/kk/body.html"),
    template!("info_reminder/kk/body.txt"),
    template!("info_reminder/kk/subject.txt"),
    template!("info_reminder/ru/body.html"),
    template!("info_reminder/ru/body.txt"),
    template!("info_reminder/ru/subject.txt"),
    template!("info_requested/en/body.html"),
    template!("info_requested/en/body.txt"),
    template!("info_requested/en/subject.txt"),
    template!("info_requested/kk/body.html"),
    template!("info_requested/kk/body.txt"),
    template!("info_requested/kk/subject.txt"),
    template!("info_requested/ru/body.html"),
    template!("info_requested/ru/body.txt"),
    template!("info_requested/ru/subject.txt"),
    template!("information_lapsed/en/body.html"),
    template!("information_lapsed/en/body.txt"),
    template!("information_lapsed/en/subject.txt"),
    template!("information_lapsed/kk/body.html"),
    template!("information_lapsed/kk/body.txt"),
    template!("information_lapsed/kk/subject.txt"),
    template!("information_lapsed/ru/body.html"),
    template!("information_lapsed/ru/body.txt"),
    template!("information_lapsed/ru/subject.txt"),
    template!("issued/en/body.html"),
    template!("issued/en/body.txt"),
    template!("issued/en/subject.txt"),
    template!("issued/kk/body.html"),
    template!("issued/kk/body.txt"),
    template!("issued/kk/subject.txt"),
    template!("issued/ru/body.html"),
    template!("issued/ru/body.txt"),
    template!("issued/ru/subject.txt"),
    template!("password_reset/en/body.html"),
    template!("password_reset/en/body.txt"),
    template!("password_reset/en/subject.txt"),
    template!("password_reset/kk/body.html"),
    template!("password_reset/kk/body.txt"),
    template!("password_reset/kk/subject.txt"),
    template!("password_reset/ru/body.html"),
    template!("password_reset/ru/body.txt"),
    template!("password_reset/ru/subject.txt"),
    template!("payment_received/en/body.html"),
    template!("payment_received/en/body.txt"),
    template!("payment_received/en/subject.txt"),
    template!("payment_received/kk/body.html"),
    template!("payment_received/kk/body.txt"),
    template!("payment_received/kk/subject.txt"),
    template!("payment_received/ru/body.html"),
    template!("payment_received/ru/body.txt"),
    template!("payment_received/ru/subject.txt"),
    template!("recommendation_returned/en/body.html"),
    template!("recommendation_returned/en/body.txt"),
    template!("recommendation_returned/en/subject.txt"),
    template!("recommendation_returned/kk/body.html"),
    template!("recommendation_returned/kk/body.txt"),
    template!("recommendation_returned/kk/subject.txt"),
    template!("recommendation_returned/ru/body.html"),
    template!("recommendation_returned/ru/body.txt"),
    template!("recommendation_returned/ru/subject.txt"),
    template!("refused/en/body.html"),
    template!("refused/en/body.txt"),
    template!("refused/en/subject.txt"),
    template!("refused/kk/body.html"),
    template!("refused/kk/body.txt"),
    template!("refused/kk/subject.txt"),
    template!("refused/ru/body.html"),
    template!("refused/ru/body.txt"),
    template!("refused/ru/subject.txt"),
    template!("revoked/en/body.html"),
    template!("revoked/en/body.txt"),
    template!("revoked/en/subject.txt"),
    template!("revoked/kk/body.html"),
    template!("revoked/kk/body.txt"),
    template!("revoked/kk/subject.txt"),
    template!("revoked/ru/body.html"),
    template!("revoked/ru/body.txt"),
    template!("revoked/ru/subject.txt"),
    template!("submitted/en/body.html"),
    template!("submitted/en/body.txt"),
    template!("submitted/en/subject.txt"),
    template!("submitted/kk/body.html"),
    template!("submitted/kk/body.txt"),
    template!("submitted/kk/subject.txt"),
    template!("submitted/ru/body.html"),
    template!("submitted/ru/body.txt"),
    template!("submitted/ru/subject.txt"),
    template!("verify_email/en/body.html"),
    template!("verify_email/en/body.txt"),
    template!("verify_email/en/subject.txt"),
    template!("verify_email/kk/body.html"),
    template!("verify_email/kk/body.txt"),
    template!("verify_email/kk/subject.txt"),
    template!("verify_email/ru/body.html"),
    template!("verify_email/ru/body.txt"),
    template!("verify_email/ru/subject.txt"),
    template!("withdrawn/en/body.html"),
    template!("withdrawn/en/body.txt"),
    template!("withdrawn/en/subject.txt"),
    template!("withdrawn/kk/body.html"),
    template!("withdrawn/kk/body.txt"),
    template!("withdrawn/kk/subject.txt"),
    template!("withdrawn/ru/body.html"),
    template!("withdrawn/ru/body.txt"),
    template!("withdrawn/ru/subject.txt"),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The templates are part of the binary and checked by the tests below.
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(template = name, error = %err, "e-mail template does not parse");
            }
        }
        env
    })
}

/// A rendered e-mail.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// The language `event` is written in for someone preferring `language`: theirs when a
/// template exists, English otherwise.
pub fn language_for(event: &str, language: &str) -> &'static str {
    const LANGUAGES: &[&str] = &["en", "ru", "kk"];
    LANGUAGES
        .iter()
        .find(|l| **l == language && TEMPLATES.iter().any(|(name, _)| *name == format!("{event}/{l}/subject.txt")))
        .copied()
        .unwrap_or("en")
}

/// Renders an event's e-mail in the recipient's language (or English).
pub fn render(event: &str, language: &str, context: &impl Serialize) -> anyhow::Result<Rendered> {
    let env = environment();
    let language = language_for(event, language);
    let part = |name: &str| -> anyhow::Result<String> {
        let template = env.get_template(&format!("{event}/{language}/{name}"))?;
        Ok(template.render(context)?)
    };
    Ok(Rendered { subject: part("subject.txt")?.trim().to_owned(), text: part("body.txt")?, html: part("body.html")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_every_event_has_english() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
        for event in [
            "verify_email",
            "password_reset",
            "submitted",
            "info_requested",
            "approved",
            "issued",
            "refused",
            "withdrawn",
            "revoked",
            "appointment_booked",
        ] {
            for part in ["subject.txt", "body.txt", "body.html"] {
                assert!(TEMPLATES.iter().any(|(n, _)| *n == format!("{event}/en/{part}")), "{event}/en/{part}");
            }
        }
    }

    #[test]
    fn the_preferred_language_is_used_where_a_template_exists() {
        let context = serde_json::json!({"name": "Aigerim", "reference": "UTO-2026-000001", "visa_type": "Tourist visa",
            "deadline": "11 Dec 2026", "link": "http://x", "state_name": "Utopia"});
        assert!(render("submitted", "kk", &context).unwrap().subject.contains("өтініші қабылданды"));
        assert!(render("submitted", "ru", &context).unwrap().subject.contains("получено"));
        assert_eq!(language_for("withdrawn", "ru"), "ru");
        assert_eq!(language_for("withdrawn", "de"), "en", "English where no template exists");
        assert!(render("withdrawn", "de", &context).unwrap().subject.contains("withdrawn"));
    }

    const EVENTS: [&str; 11] = [
        "account_exists",
        "payment_received",
        "verify_email",
        "password_reset",
        "submitted",
        "info_requested",
        "approved",
        "issued",
        "refused",
        "withdrawn",
        "revoked",
    ];

    /// The words of a template, without its placeholders, tags, entities and addresses.
    fn words(source: &str) -> Vec<String> {
        let mut text = String::new();
        let mut rest = source;
        while let Some(start) = rest.find(['{', '<', '&']) {
            text.push_str(&rest[..start]);
            let tail = &rest[start..];
            let close = if tail.starts_with("{{") {
                tail.find("}}").map(|i| i + 2)
            } else if tail.starts_with("{%") {
                tail.find("%}").map(|i| i + 2)
            } else if tail.starts_with('<') {
                tail.find('>').map(|i| i + 1)
            } else if tail.starts_with('&') {
                tail.find(';').map(|i| i + 1)
            } else {
                Some(1)
            };
            rest = close.map_or("", |end| &rest[(start + end).min(rest.len())..]);
            text.push(' ');
        }
        text.push_str(rest);
        text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
    }

    #[test]
    fn every_event_is_written_whole_in_every_language() {
        const KAZAKH: &str = "әғқңөұүһіӘҒҚҢӨҰҮҺІ";
        let latin = |w: &str| w.chars().all(|c| c.is_ascii_alphabetic());
        let cyrillic = |w: &str| w.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        for event in EVENTS {
            for language in ["en", "ru", "kk"] {
                let mut all = Vec::new();
                for part in ["subject.txt", "body.txt", "body.html"] {
                    let name = format!("{event}/{language}/{part}");
                    let (_, source) = TEMPLATES.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("{name}"));
                    let words = words(source);
                    let stray: Vec<&String> = match language {
                        "en" => words.iter().filter(|w| cyrillic(w)).collect(),
                        _ => words.iter().filter(|w| latin(w) && w.as_str() != "PDF").collect(),
                    };
                    assert!(stray.is_empty(), "{name} holds words of another language: {stray:?}");
                    all.extend(words);
                }
                let context = serde_json::json!({"name": "A", "reference": "R", "visa_type": "V", "deadline": "D",
                    "link": "http://x", "state_name": "S", "message": "M", "items": ["i"], "visa_number": "N",
                    "valid_from": "F", "valid_until": "U", "entries": "single", "duration": 14, "token": "T",
                    "valid_minutes": 60, "grounds": [{"title": "G", "description": "GD"}], "appeal_information": "AP"});
                let rendered = render(event, language, &context).unwrap();
                assert!(
                    !rendered.subject.is_empty() && rendered.text.starts_with(['D', 'У', 'Қ']),
                    "{event}/{language}"
                );
                assert!(
                    rendered.text.contains("S - ") || rendered.text.contains("S — "),
                    "{event}/{language} signs off"
                );
                let kazakh = all.iter().any(|w| w.chars().any(|c| KAZAKH.contains(c)));
                match language {
                    "kk" => assert!(kazakh, "{event}/kk is written in Kazakh"),
                    "ru" => assert!(!kazakh, "{event}/ru holds Kazakh words"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn the_words_of_a_template_leave_out_its_markup() {
        assert_eq!(
            words("<p>Dear {{ name }},</p>{% for x in y %}<a href=\"{{ link }}\">here</a>&nbsp;now"),
            ["Dear", "here", "now"]
        );
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let context = serde_json::json!({"name": "<b>Eve</b>", "reference": "R", "state_name": "Utopia"});
        let rendered = render("withdrawn", "en", &context).unwrap();
        assert!(rendered.html.contains("&lt;b&gt;Eve"));
        assert!(!rendered.html.contains("<b>"));
        assert!(rendered.text.contains("<b>Eve</b>"));
    }
}
