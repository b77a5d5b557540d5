//! Cases and what hangs on them: events, documents, counts, fees and payments, appointments, issued
//! documents.

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
        seal -> Nullable<Binary>,
    }
}
