//! The catalogue and the posts: services, their forms and visa settings, grounds, schedules.

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
