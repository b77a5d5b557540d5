//! Sending the outbox: lettre over SMTP, or `.eml` files when no SMTP server is configured.
//! Each e-mail keeps its Message-ID across attempts, so a retry after an uncertain send (the
//! server accepted it but the service died before recording that) is recognisable as the same
//! message.

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;

use crate::config::Config;
use crate::db::outbox::{self, EmailRow};
use crate::db::{self};
use crate::jobs::backoff;
use crate::startup::AppState;

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
            let content_type = ContentType::parse("application/pdf")?;
            let part: SinglePart = Attachment::new(name.clone()).body(bytes, content_type);
            builder.multipart(MultiPart::mixed().multipart(alternative).singlepart(part))?
        }
        _ => builder.multipart(alternative)?,
    };
    Ok(message)
}

/// Sends one due e-mail, if any; returns whether there was one.
pub async fn run_once(state: Arc<AppState>) -> anyhow::Result<bool> {
    let now = db::now();
    let lease = now + chrono::Duration::seconds(60);
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let email = db::write_transaction(&mut conn, |conn| outbox::lease_next(conn, now, lease))?;
    drop(conn);
    let Some(email) = email else { return Ok(false) };
    let outcome = async {
        let attachment = match &email.attachment_key {
            Some(key) => Some(state.documents.get(key).await?.to_vec()),
            None => None,
        };
        let message = build(&state.config, &email, attachment)?;
        state.mailer.send(message).await
    }
    .await;
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    match outcome {
        Ok(()) => {
            outbox::mark_sent(&mut conn, &email.id, db::now())?;
            tracing::info!(email = %email.id, event = %email.event, "e-mail sent");
        }
        Err(err) => {
            let message = format!("{err:#}");
            let retry = (email.attempts < state.config.mail_max_attempts)
                .then(|| db::now() + backoff(state.config.mail_retry_secs, email.attempts));
            tracing::warn!(email = %email.id, attempt = email.attempts, retry = retry.is_some(), error = %message, "e-mail not sent");
            outbox::mark_failed(&mut conn, &email.id, &message, retry, db::now())?;
        }
    }
    Ok(true)
}
