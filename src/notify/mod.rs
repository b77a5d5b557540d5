//! E-mail notifications: what each event says (templates), the outbox rows written in the same
//! transaction as the change that causes them, and the mailer that sends them.

pub mod mailer;
pub mod templates;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::app::{Error, Result};
use crate::config::Config;
use crate::db::cases::CaseRow;
use crate::db::jobs::{self, JobKind};
use crate::db::outbox::{self, EmailRow};
use crate::db::users::UserRow;
use crate::db::{self, AnyConnection, catalog, users};

/// An attachment stored in the document store.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Object-store key.
    pub key: String,
    /// File name shown to the recipient.
    pub name: String,
}

fn domain_of(config: &Config) -> String {
    config.mail_from.rsplit('@').next().unwrap_or("evisa.local").trim_end_matches('>').to_owned()
}

/// Renders `event` for `user`, writes it to the outbox and queues its sending, in the caller's
/// write transaction.
pub fn enqueue(
    conn: &mut AnyConnection,
    config: &Config,
    user: &UserRow,
    event: &str,
    case_id: Option<&str>,
    mut context: Value,
    attachment: Option<Attachment>,
) -> Result<()> {
    if case_id.is_none() && account_emails_capped(conn, &user.email)? {
        return Ok(());
    }
    if let Some(fields) = context.as_object_mut() {
        fields.entry("name").or_insert_with(|| json!(user.full_name));
        fields.entry("state_name").or_insert_with(|| json!(config.state_name(&user.preferred_language)));
    }
    let rendered = templates::render(event, &user.preferred_language, &context).map_err(Error::internal)?;
    let id = uuid::Uuid::now_v7();
    let now = db::now();
    outbox::insert(
        conn,
        &EmailRow {
            id: id.to_string(),
            message_id: format!("<{}@{}>", id.simple(), domain_of(config)),
            event: event.to_owned(),
            case_id: case_id.map(str::to_owned),
            recipient: user.email.clone(),
            subject: rendered.subject,
            text_body: rendered.text,
            html_body: rendered.html,
            attachment_key: attachment.as_ref().map(|a| a.key.clone()),
            attachment_name: attachment.map(|a| a.name),
            status: "pending".into(),
            attempts: 0,
            last_error: None,
            created_at: now,
            sent_at: None,
        },
    )?;
    jobs::enqueue(conn, JobKind::SendEmail, &id.to_string(), now)?;
    Ok(())
}

/// Writes the applicant's e-mail about a case event (`submitted`, `issued`, ...) to the outbox.
pub fn case_event(
    conn: &mut AnyConnection,
    config: &Config,
    case: &CaseRow,
    event: &str,
    extra: Value,
    attachment: Option<Attachment>,
) -> Result<()> {
    let applicant = users::find(conn, &case.applicant_id)?.ok_or(Error::NotFound)?;
    let lang = applicant.preferred_language.as_str();
    let service =
        catalog::find_service(conn, &case.service_code)?.map_or_else(|| case.service_code.clone(), |s| s.name_in(lang));
    let mut context = json!({
        "reference": case.reference,
        "visa_type": service,
        "service": service,
        "link": format!("{}/cases/{}", config.portal_url, case.id),
    });
    if let (Some(fields), Value::Object(extra)) = (context.as_object_mut(), extra) {
        fields.extend(extra);
    }
    in_language(conn, lang, &mut context)?;
    enqueue(conn, config, &applicant, event, Some(&case.id), context, attachment)
}

/// Puts the refusal or revocation grounds an e-mail names (`grounds`, each with its `code`) in
/// the applicant's language.
fn in_language(conn: &mut AnyConnection, lang: &str, context: &mut Value) -> Result<()> {
    let Some(grounds) = context.get_mut("grounds").and_then(Value::as_array_mut) else { return Ok(()) };
    let catalogue = catalog::list_refusal_grounds(conn)?;
    for ground in grounds {
        if let Some(row) = catalogue.iter().find(|g| ground["code"].as_str() == Some(g.code.as_str())) {
            let (title, description) = row.words_in(lang);
            ground["title"] = json!(title);
            ground["description"] = json!(description);
        }
    }
    Ok(())
}

/// Account e-mails (codes, "your address already has an account") one address receives in an
/// hour at most, whoever asks for them: anyone may type someone's address into a form.
pub const ACCOUNT_EMAILS_PER_HOUR: i64 = 5;

/// Whether `recipient` had [`ACCOUNT_EMAILS_PER_HOUR`] account e-mails in the last hour; then
/// the next is not sent (and the asker is told nothing different).
fn account_emails_capped(conn: &mut AnyConnection, recipient: &str) -> Result<bool> {
    let since = db::now() - chrono::Duration::hours(1);
    let capped = outbox::account_emails_since(conn, recipient, since)? >= ACCOUNT_EMAILS_PER_HOUR;
    if capped {
        tracing::info!(event = "account_email_capped", "account e-mail not sent: the address had its hourly share");
    }
    Ok(capped)
}

/// Minutes an e-mailed address-confirmation code stays valid.
pub const VERIFY_EMAIL_MINUTES: i64 = 60;
/// Minutes a password reset code stays valid.
pub const PASSWORD_RESET_MINUTES: i64 = 60;
/// Wrong guesses after which an address-confirmation code is void.
pub const CODE_ATTEMPTS: i32 = 5;

/// How long the single-use code an e-mail of `event` carries stays valid, in minutes; `None`
/// for e-mails that carry no code.
pub fn code_lifetime_minutes(event: &str) -> Option<i64> {
    match event {
        "verify_email" => Some(VERIFY_EMAIL_MINUTES),
        "password_reset" => Some(PASSWORD_RESET_MINUTES),
        _ => None,
    }
}

/// Hashes an e-mail token for storage.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a six-digit code of the account `user_id` for storage: a code means something only
/// with its account, so the same digits sent to two people are two different codes.
pub fn code_hash(user_id: &str, code: &str) -> String {
    token_hash(&format!("code:{user_id}:{code}"))
}

/// Creates a single-use code for `purpose` and e-mails it to the account: for `verify_email`
/// six digits, typed on the page (earlier codes of the account are void; a few wrong guesses
/// void this one too), for `password_reset` a long code carried by a link.
pub fn send_token(conn: &mut AnyConnection, config: &Config, user: &UserRow, purpose: &str) -> Result<()> {
    if account_emails_capped(conn, &user.email)? {
        return Ok(());
    }
    let minutes = code_lifetime_minutes(purpose)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("{purpose} is not an e-mail that carries a code")))?;
    use rand::Rng;
    let now = db::now();
    let expires = now + chrono::Duration::minutes(minutes);
    let (token, link) = if purpose == "verify_email" {
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        outbox::delete_tokens(conn, &user.id, purpose)?;
        outbox::insert_token(conn, &code_hash(&user.id, &code), &user.id, purpose, expires, now)?;
        let query = serde_urlencoded::to_string([("email", user.email.as_str()), ("code", code.as_str())])
            .map_err(|e| Error::internal(anyhow::anyhow!(e)))?;
        let link = format!("{}/verify-email?{query}", config.portal_url);
        (code, link)
    } else {
        let bytes: [u8; 24] = rand::rng().random();
        let token = hex::encode(bytes);
        outbox::insert_token(conn, &token_hash(&token), &user.id, purpose, expires, now)?;
        let link = format!("{}/password-reset/confirm?token={token}", config.portal_url);
        (token, link)
    };
    let context = json!({"token": token, "valid_minutes": minutes, "link": link});
    enqueue(conn, config, user, purpose, None, context, None)
}
