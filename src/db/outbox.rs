//! The e-mail outbox (each message and its delivery record; its sending is a job of
//! [`super::jobs`]) and the single-use e-mail tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{email_tokens, outbox};

/// An e-mail of the outbox.
#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct EmailRow {
    /// Id (UUIDv7).
    pub id: String,
    /// The stable Message-ID, the same on every attempt.
    pub message_id: String,
    /// What it is about (`submitted`, `issued`, ...).
    pub event: String,
    /// The case it is about.
    pub case_id: Option<String>,
    /// Recipient address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// HTML body.
    pub html_body: String,
    /// Object-store key of an attachment.
    pub attachment_key: Option<String>,
    /// File name of the attachment.
    pub attachment_name: Option<String>,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Last failure.
    pub last_error: Option<String>,
    /// Enqueued at.
    pub created_at: NaiveDateTime,
    /// Sent at.
    pub sent_at: Option<NaiveDateTime>,
}

/// Enqueues an e-mail (in the caller's transaction).
pub fn insert(conn: &mut AnyConnection, email: &EmailRow) -> QueryResult<()> {
    diesel::insert_into(outbox::table).values(email).execute(conn).map(|_| ())
}

/// Records a delivered e-mail.
pub fn mark_sent(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((outbox::status.eq("sent"), outbox::sent_at.eq(at), outbox::attempts.eq(outbox::attempts + 1)))
        .execute(conn)
}

/// Records a failed delivery attempt; `final_attempt` marks the e-mail failed for good.
pub fn mark_failed(conn: &mut AnyConnection, id: &str, error: &str, final_attempt: bool) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(if final_attempt { "failed" } else { "pending" }),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
}

/// Replaces the bodies of an e-mail with `notice`: for messages whose single-use code must not
/// outlive its use in the database or its backups.
pub fn scrub(conn: &mut AnyConnection, id: &str, notice: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((outbox::text_body.eq(notice), outbox::html_body.eq(format!("<p>{notice}</p>"))))
        .execute(conn)
}

/// Puts an e-mail that was not sent back in line; its job is rescheduled by the caller.
pub fn mark_pending(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.ne("sent")))
        .set(outbox::status.eq("pending"))
        .execute(conn)
}

/// One page of the outbox, newest first, optionally of one status, with the total.
pub fn list(
    conn: &mut AnyConnection,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<EmailRow>, i64)> {
    let filtered = || {
        let mut query = outbox::table.into_boxed();
        if let Some(status) = status {
            query = query.filter(outbox::status.eq(status.to_owned()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows =
        filtered().order((outbox::created_at.desc(), outbox::id.desc())).limit(limit).offset(offset).load(conn)?;
    Ok((rows, total))
}

/// The e-mail with this id.
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EmailRow>> {
    outbox::table.find(id).first(conn).optional()
}

/// Stores a token (hashed).
pub fn insert_token(
    conn: &mut AnyConnection,
    hash: &str,
    user_id: &str,
    purpose: &str,
    expires_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::token_hash.eq(hash),
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose),
            email_tokens::expires_at.eq(expires_at),
            email_tokens::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Removes every code of `purpose` the account `user_id` was sent: a new one replaces them.
pub fn delete_tokens(conn: &mut AnyConnection, user_id: &str, purpose: &str) -> QueryResult<usize> {
    diesel::delete(
        email_tokens::table.filter(email_tokens::user_id.eq(user_id)).filter(email_tokens::purpose.eq(purpose)),
    )
    .execute(conn)
}

/// Uses the code of the account `user_id` whose hash is `hash`, if it is unused, unexpired and
/// was guessed at fewer than `max_attempts` times; whether it was used.
pub fn consume_code(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    purpose: &str,
    now: NaiveDateTime,
    max_attempts: i32,
) -> QueryResult<bool> {
    let used = diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(hash))
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(now))
            .filter(email_tokens::attempts.lt(max_attempts)),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// Counts a wrong guess against every live code of `purpose` of the account `user_id`.
pub fn count_wrong_code(conn: &mut AnyConnection, user_id: &str, purpose: &str) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::attempts.eq(email_tokens::attempts + 1))
    .execute(conn)
}

/// The account of a token that exists for `purpose`, unused and unexpired, without using it.
pub fn find_valid_token(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    email_tokens::table
        .filter(email_tokens::token_hash.eq(hash))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select(email_tokens::user_id)
        .first(conn)
        .optional()
}

/// Uses a token: returns its account if the token exists for `purpose`, is unused and unexpired,
/// and marks it used (a concurrent second use finds it used).
pub fn consume_token(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let user: Option<String> = email_tokens::table
        .filter(email_tokens::token_hash.eq(hash))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select(email_tokens::user_id)
        .first(conn)
        .optional()?;
    let Some(user) = user else { return Ok(None) };
    let used = diesel::update(email_tokens::table.find(hash).filter(email_tokens::used_at.is_null()))
        .set(email_tokens::used_at.eq(now))
        .execute(conn)?;
    Ok((used == 1).then_some(user))
}

/// Number of e-mails about no case (account e-mails: codes, a taken address) queued for
/// `recipient` since `since`.
pub fn account_emails_since(conn: &mut AnyConnection, recipient: &str, since: NaiveDateTime) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::recipient.eq(recipient))
        .filter(outbox::created_at.gt(since))
        .filter(outbox::case_id.is_null())
        .count()
        .get_result(conn)
}
