//! Pure types and rules of the consular domain. Nothing here performs I/O or knows about HTTP or
//! the database.

pub mod changes;
pub mod countries;
pub mod country;
pub mod dates;
pub mod decision;
pub mod document;
pub mod effects;
pub mod email;
pub mod field_error;
pub mod form_design;
pub mod issued;
pub mod mrz;
pub mod password_policy;
pub mod reference;
pub mod role;
pub mod schedule;
pub mod service;
pub mod share_code;
pub mod status;
pub mod texts;
pub mod verification;

pub use field_error::FieldError;

/// A name that is not one of the enumeration's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;
