//! Coded grounds of refusals and revocations, resolved against the catalogue in one place.

use crate::app::{Error, Result};
use crate::db::{AnyConnection, catalog};
use crate::domain::FieldError;
use crate::domain::decision::RecordedGround;

/// What grounds are given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Refusing an application.
    Refusal,
    /// Revoking an issued document.
    Revocation,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Refusal => "refusal",
            Purpose::Revocation => "revocation",
        }
    }
}

/// The grounds `codes` name, in the catalogue's words, without repeats. At least one is
/// required; every code that is not a ground for `purpose` is named by its index.
pub fn resolve(conn: &mut AnyConnection, codes: &[String], purpose: Purpose) -> Result<Vec<RecordedGround>> {
    if codes.is_empty() {
        return Err(Error::invalid_field(
            "grounds",
            "required",
            format!("at least one {} ground is required", purpose.as_str()),
        ));
    }
    let catalogue = catalog::list_refusal_grounds(conn)?;
    let mut grounds: Vec<RecordedGround> = Vec::new();
    let mut problems = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        let found =
            catalogue.iter().find(|g| &g.code == code && (g.applies_to == "both" || g.applies_to == purpose.as_str()));
        match found {
            Some(ground) if !grounds.iter().any(|g| g.code == ground.code) => grounds.push(RecordedGround {
                code: ground.code.clone(),
                title: ground.title.clone(),
                description: ground.description.clone(),
            }),
            Some(_) => {}
            None => problems.push(FieldError::new(
                format!("grounds[{index}]"),
                "unknown",
                format!("{code} is not a {} ground", purpose.as_str()),
            )),
        }
    }
    if problems.is_empty() { Ok(grounds) } else { Err(Error::Invalid(problems)) }
}
