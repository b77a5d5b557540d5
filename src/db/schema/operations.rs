//! People, keys and the service's own work: accounts and sessions, API clients and their checks,
//! signing keys, jobs, the outbox, the administrators' log.

diesel::table! {
    /// Accounts of applicants and staff.
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        full_name -> Text,
        role -> Text,
        post_code -> Nullable<Text>,
        preferred_language -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
        token_epoch -> Integer,
        away_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Browser sessions of the portal and the console.
    web_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        token_epoch -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Single-use tokens sent by e-mail (stored hashed).
    email_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        attempts -> Integer,
    }
}

diesel::table! {
    /// Machine clients of the verification API; keys stored only as hashes.
    api_clients (id) {
        id -> Text,
        name -> Text,
        organisation -> Text,
        scopes -> Text,
        key_prefix -> Text,
        key_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Every verification check.
    verification_log (id) {
        id -> Text,
        client_id -> Text,
        method -> Text,
        visa_number -> Nullable<Text>,
        passport_hash -> Nullable<Text>,
        result -> Text,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Document-signer keys; the private keys live in files, never in the database.
    signing_keys (kid) {
        kid -> Text,
        certificate_pem -> Nullable<Text>,
        ca_certificate_pem -> Nullable<Text>,
        key_file -> Text,
        status -> Text,
        development -> Bool,
        created_at -> Timestamp,
        activated_at -> Nullable<Timestamp>,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The durable queue of background work: one row per (kind, subject).
    jobs (kind, subject) {
        kind -> Text,
        subject -> Text,
        status -> Text,
        attempts -> Integer,
        run_after -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// E-mails to send, written in the same transaction as what caused them.
    outbox (id) {
        id -> Text,
        message_id -> Text,
        event -> Text,
        case_id -> Nullable<Text>,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        attachment_key -> Nullable<Text>,
        attachment_name -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The audit trail of administration.
    admin_events (id) {
        id -> Text,
        action -> Text,
        target -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        details -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Share codes of holders of issued documents, kept as digests.
    share_codes (id) {
        id -> Text,
        code_digest -> Text,
        code_hint -> Text,
        document_number -> Text,
        holder_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
        wrong_birth_dates -> Integer,
    }
}

diesel::table! {
    /// Every check of a share code.
    share_code_checks (id) {
        id -> Text,
        share_code_id -> Nullable<Text>,
        outcome -> Text,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
