//! The use cases: one function per thing a person or the service can do to a case, each in a
//! module of its own. A use case takes the acting user (typed by role), its input and the narrow
//! dependencies it needs (the database, the document store, the configuration the notifier
//! reads), and returns its result or an [`Error`] that knows nothing of HTTP. The JSON API, the
//! command line, and later the portal and the console call these functions and restate no rule.

pub mod accounts;
pub mod applicant;
pub mod appointments;
pub mod catalogue;
pub mod checkout;
pub mod clients;
pub mod decoding;
pub mod engine;
pub mod error;
pub mod form_design;
pub mod forms;
pub mod issue;
pub mod payments;
pub mod posts;
pub mod register;
pub mod review;
pub mod share_codes;
pub mod sign_in;
pub mod staff_accounts;
pub mod thumbnail;
pub mod verification;

pub use error::{Error, Result};

use crate::db::AnyConnection;
use crate::db::appointments::AppointmentRow;
use crate::db::cases::{self, CaseRow};
use crate::db::documents::{self, DocumentRow};
use crate::db::fees::CaseFeeRow;
use crate::domain::role::Role;

/// The authenticated person acting, whatever surface they came through.
#[derive(Debug, Clone)]
pub struct User {
    /// Account id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Consular post of staff.
    pub post: Option<String>,
}

impl User {
    /// Refuses unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("this action is not open to the {} role", self.role)))
        }
    }
}

macro_rules! role_type {
    ($(#[$doc:meta])* $name:ident, [$($role:ident),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(User);

        impl $name {
            /// The user, if they have this role.
            pub fn new(user: User) -> Result<$name> {
                user.require(&[$(Role::$role),+])?;
                Ok($name(user))
            }
        }

        impl std::ops::Deref for $name {
            type Target = User;

            fn deref(&self) -> &User {
                &self.0
            }
        }
    };
}

role_type!(
    /// A user acting as an applicant.
    Applicant,
    [Applicant]
);
role_type!(
    /// A user acting as consular staff: an officer or a supervisor.
    Staff,
    [Officer, Supervisor]
);
role_type!(
    /// A user acting as a supervisor.
    Supervisor,
    [Supervisor]
);
role_type!(
    /// A user acting as an administrator.
    Admin,
    [Admin]
);

/// A case with its documents and the number of what was issued for it, as a use case leaves it.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The case.
    pub case: CaseRow,
    /// Its documents.
    pub documents: Vec<DocumentRow>,
    /// The number of the document issued for it (for an e-visa, the visa number).
    pub issued_number: Option<String>,
    /// The fee it owes and what has been paid.
    pub fee: Option<CaseFeeRow>,
    /// Its appointment, once booked.
    pub appointment: Option<AppointmentRow>,
}

impl CaseFile {
    /// The case `id` as it now stands.
    pub fn load(conn: &mut AnyConnection, id: &str) -> Result<CaseFile> {
        let case = cases::find(conn, id)?.ok_or(Error::NotFound)?;
        CaseFile::of(conn, case)
    }

    /// A loaded case with its documents, issued number, fee and appointment.
    pub fn of(conn: &mut AnyConnection, case: CaseRow) -> Result<CaseFile> {
        let mut file = CaseFile::visa_file(conn, case)?;
        file.fee = crate::db::fees::for_case(conn, &file.case.id)?;
        file.appointment = crate::db::appointments::for_case(conn, &file.case.id)?;
        Ok(file)
    }

    /// A loaded case with what the visa application shape shows (its documents and issued
    /// number), for listings that show many: no fee, no appointment.
    pub fn visa_file(conn: &mut AnyConnection, case: CaseRow) -> Result<CaseFile> {
        let documents = documents::for_case(conn, &case.id)?;
        let issued_number = crate::db::issued_documents::issued_number(conn, &case.id)?;
        Ok(CaseFile { case, documents, issued_number, fee: None, appointment: None })
    }
}

/// Trims a free text, treats an empty one as absent, and checks it against `required` and `max`
/// characters.
pub fn text(field: &str, value: Option<String>, required: bool, max: usize) -> Result<Option<String>> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match value {
        None if required => Err(Error::Invalid(vec![crate::domain::FieldError::required(field)])),
        Some(v) if v.chars().count() > max => {
            Err(Error::invalid_field(field, "too_long", format!("at most {max} characters")))
        }
        other => Ok(other),
    }
}

/// Decodes a JSON value into `T`; a value of the wrong shape is invalid, naming the field by its
/// path.
pub fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let message = err.into_inner().to_string();
        // serde_json appends " at line L column C"; the field path is more useful.
        let message = message.rfind(" at line ").map_or(message.as_str(), |at| &message[..at]).to_owned();
        Error::invalid_field(field, "invalid", message)
    })
}
