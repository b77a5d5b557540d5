//! Sending the outbox: lettre over SMTP, or `.eml` files when no SMTP server is configured.
//! Each e-mail keeps its Message-ID across attempts, so a retry after an uncertain send (the
//! server accepted it but the service died before recording that) is recognisable as the same
//! message.

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::db::Db;
use crate::db::outbox::{self, EmailRow};
use crate::db::{self};
use crate::notify::code_lifetime_minutes;
use crate::storage::DocumentStore;

/// Where e-mails go.
pub enum Transport {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a directory.
    Files(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

impl Transport {
    /// The transport the configuration names.
    pub fn from_config(config: &Config) -> anyhow::Result<Transport> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).context("EVISA_SMTP_URL")?.build();
                Ok(Transport::Smtp(transport))
            }
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                Ok(Transport::Files(AsyncFileTransport::new(&dir), dir))
            }
        }
    }

    /// Describes the transport for the log, without credentials.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Files(_, dir) => format!(".eml files in {}", dir.display()),
        }
    }

    async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Files(files, _) => {
                files.send(message).await?;
            }
        }
        Ok(())
    }
}

/// The media type of an attachment, by its file name: PDF documents and iCalendar appointments.
fn attachment_type(name: &str) -> &'static str {
    if name.ends_with(".ics") { "text/calendar; charset=utf-8; method=PUBLISH" } else { "application/pdf" }
}

/// Builds the MIME message of an outbox row: multipart/alternative text and HTML, and the
/// attachment if any.
pub fn build(config: &Config, email: &EmailRow, attachment: Option<Vec<u8>>) -> anyhow::Result<Message> {
    let from: Mailbox = config.mail_from.parse().context("EVISA_MAIL_FROM")?;
    let to: Mailbox = email.recipient.parse().context("recipient")?;
    let alternative = MultiPart::alternative_plain_html(email.text_body.clone(), email.html_body.clone());
    let builder =
        Message::builder().from(from).to(to).subject(&email.subject).message_id(Some(email.message_id.clone()));
    let message = match (attachment, &email.attachment_name) {
        (Some(bytes), Some(name)) => {
            let content_type = ContentType::parse(attachment_type(name))?;
            let part: SinglePart = Attachment::new(name.clone()).body(bytes, content_type);
            builder.multipart(MultiPart::mixed().multipart(alternative).singlepart(part))?
        }
        _ => builder.multipart(alternative)?,
    };
    Ok(message)
}

/// What remains in the outbox of an e-mail that carried a single-use code, once sent or expired.
pub const SCRUBBED: &str = "This message carried a single-use code. It was removed from the outbox once the \
message was sent or the code expired; the delivered message is the only copy.";

/// What sending an e-mail of the outbox needs.
pub struct Delivery<'a> {
    /// The database holding the outbox.
    pub db: &'a Db,
    /// The sender's address and the public address links point to.
    pub config: &'a Config,
    /// Where attachments are stored.
    pub documents: &'a DocumentStore,
    /// Where e-mails go.
    pub transport: &'a Transport,
}

/// Sends the outbox e-mail `id` (the handler of a `send_email` job). An e-mail already recorded
/// as sent is not sent again; a failure is recorded by the job runner.
pub async fn deliver(state: &Delivery<'_>, id: &str) -> anyhow::Result<()> {
    let mut conn = state.db.conn()?;
    let email = outbox::find(&mut conn, id)?.ok_or_else(|| anyhow::anyhow!("e-mail {id} vanished"))?;
    drop(conn);
    if email.status == "sent" {
        return Ok(());
    }
    if let Some(minutes) = code_lifetime_minutes(&email.event)
        && db::now() > email.created_at + chrono::Duration::minutes(minutes)
    {
        // Its code no longer works: sending it would only mislead.
        let mut conn = state.db.conn()?;
        state.db.write_transaction(&mut conn, |conn| {
            outbox::mark_failed(conn, &email.id, "its single-use code expired before it could be sent", true)?;
            outbox::scrub(conn, &email.id, SCRUBBED)
        })?;
        return Ok(());
    }
    let attachment = match &email.attachment_key {
        Some(key) => Some(state.documents.get(key).await?.to_vec()),
        None => None,
    };
    let message = build(state.config, &email, attachment)?;
    state.transport.send(message).await?;
    let mut conn = state.db.conn()?;
    state.db.write_transaction(&mut conn, |conn| {
        outbox::mark_sent(conn, &email.id, db::now())?;
        if code_lifetime_minutes(&email.event).is_some() {
            outbox::scrub(conn, &email.id, SCRUBBED)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    tracing::info!(email = %email.id, event = %email.event, "e-mail sent");
    Ok(())
}
