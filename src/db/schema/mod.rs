//! Diesel's view of the tables. Identifiers are UUIDs stored as text and times are UTC
//! timestamps, the common ground of SQLite and PostgreSQL. The tables are declared in three
//! files by what they hold, and all of them are found here.

mod casework;
mod catalogue;
mod operations;

pub use casework::*;
pub use catalogue::*;
pub use operations::*;

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
    case_documents,
    issued_documents
);
