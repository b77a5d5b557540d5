//! Diesel's view of the tables. Identifiers are UUIDs stored as text and times are UTC
//! timestamps, the common ground of SQLite and PostgreSQL.

diesel::table! {
    /// Consular posts.
    posts (code) {
        code -> Text,
        name -> Text,
        country -> Text,
        time_zone -> Text,
        created_at -> Timestamp,
        four_eyes -> Bool,
        texts -> Text,
    }
}

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
    /// The catalogue: every service a case can be opened for, visas included.
    services (code) {
        code -> Text,
        name -> Text,
        description -> Text,
        eligibility -> Text,
        form_version -> Integer,
        documents -> Text,
        fee_minor -> BigInt,
        currency -> Text,
        prepaid -> Bool,
        processing_days -> Integer,
        four_eyes -> Bool,
        output -> Text,
        active -> Bool,
        sort_order -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        paid_before_issue -> Bool,
        texts -> Text,
        information_lapse -> Text,
        information_pauses_clock -> Bool,
    }
}

diesel::table! {
    /// Every version of every service's form schema.
    service_forms (service_code, version) {
        service_code -> Text,
        version -> Integer,
        schema -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The settings of services whose output is an e-visa.
    visa_services (service_code) {
        service_code -> Text,
        purpose -> Text,
        category -> Text,
        entries -> Text,
        max_stay_days -> Integer,
        validity_days -> Integer,
    }
}

diesel::table! {
    /// Counters that number case references per scope (state and year).
    reference_counters (scope) {
        scope -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    /// Cases: one request of one applicant for one service.
    cases (id) {
        id -> Text,
        reference -> Text,
        applicant_id -> Text,
        service -> Text,
        service_code -> Text,
        post_code -> Text,
        status -> Text,
        form -> Text,
        surname -> Nullable<Text>,
        given_names -> Nullable<Text>,
        nationality -> Nullable<Text>,
        assigned_officer_id -> Nullable<Text>,
        priority -> Text,
        submitted_at -> Nullable<Timestamp>,
        decision_deadline -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        decision -> Nullable<Text>,
        recommended_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        form_version -> Integer,
    }
}

diesel::table! {
    /// Cases by post, service and status, drafts aside.
    case_counts (post_code, service_code, status, shard) {
        post_code -> Text,
        service_code -> Text,
        status -> Text,
        shard -> SmallInt,
        cases -> BigInt,
    }
}

diesel::table! {
    /// The audit trail of every case.
    case_events (id) {
        id -> Text,
        case_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        note -> Nullable<Text>,
        internal -> Bool,
        details -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamp,
        staff_note -> Nullable<Text>,
    }
}

diesel::table! {
    /// Documents attached to cases; the bytes live in the object store.
    case_documents (id) {
        id -> Text,
        case_id -> Text,
        kind -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    /// The coded grounds of refusals and revocations.
    refusal_grounds (code) {
        code -> Text,
        title -> Text,
        description -> Text,
        applies_to -> Text,
        sort_order -> Integer,
        texts -> Text,
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
    /// The fee each case owes and what has been paid towards it.
    case_fees (case_id) {
        case_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        paid_minor -> BigInt,
    }
}

diesel::table! {
    /// Payments reported by the payment provider, once per transaction.
    payments (transaction_id) {
        transaction_id -> Text,
        case_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        status -> Text,
        body_sha256 -> Text,
        answer -> Text,
        received_at -> Timestamp,
        provider -> Text,
        method -> Nullable<Text>,
    }
}

diesel::table! {
    /// Attempts to pay a case's fee through a provider, at most one open per case.
    payment_checkouts (id) {
        id -> Text,
        case_id -> Text,
        provider -> Text,
        provider_ref -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Provider events already handled.
    payment_events (provider, event_id) {
        provider -> Text,
        event_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    /// Each post's appointment schedule.
    post_schedules (post_code, service_code) {
        post_code -> Text,
        service_code -> Text,
        slot_minutes -> Integer,
        capacity_per_slot -> Integer,
        hours -> Text,
        closed_dates -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Appointments booked per slot.
    appointment_slots (post_code, service_code, starts_at) {
        post_code -> Text,
        service_code -> Text,
        starts_at -> Timestamp,
        booked -> Integer,
    }
}

diesel::table! {
    /// The appointment of each case.
    appointments (case_id) {
        case_id -> Text,
        post_code -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        schedule_service -> Text,
        attendance -> Nullable<Text>,
        attendance_by -> Nullable<Text>,
        attendance_at -> Nullable<Timestamp>,
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

diesel::joinable!(cases -> posts (post_code));
diesel::joinable!(visa_services -> services (service_code));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_documents -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    posts,
    users,
    services,
    service_forms,
    payment_checkouts,
    payment_events,
    visa_services,
    reference_counters,
    cases,
    case_events,
    case_documents
);

diesel::table! {
    /// Every issued document (e-visas and certificates), with its holder as printed.
    issued_documents (number) {
        number -> Text,
        kind -> Text,
        case_id -> Text,
        service_code -> Text,
        surname -> Text,
        given_names -> Text,
        sex -> Nullable<Text>,
        date_of_birth -> Date,
        place_of_birth -> Nullable<Text>,
        nationality -> Text,
        passport_number -> Nullable<Text>,
        passport_expiry -> Nullable<Date>,
        type_letter -> Nullable<Text>,
        entries -> Nullable<Text>,
        valid_from -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        duration_of_stay_days -> Nullable<Integer>,
        issuing_state -> Text,
        issuing_post -> Text,
        issue_date -> Date,
        kid -> Text,
        status -> Text,
        pdf_key -> Nullable<Text>,
        pdf_sha256 -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        revocation_grounds -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
