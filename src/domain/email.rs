//! E-mail addresses, parsed once.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A syntactically valid e-mail address, normalised to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("format" = "email"))]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text is not a usable e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct InvalidEmail;

impl FromStr for Email {
    type Err = InvalidEmail;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.len() > 254 || !trimmed.contains('@') {
            return Err(InvalidEmail);
        }
        let parsed = email_address::EmailAddress::from_str(trimmed).map_err(|_| InvalidEmail)?;
        // Display names ("Jane <jane@x>") are not addresses for our purposes.
        if parsed.email() != trimmed {
            return Err(InvalidEmail);
        }
        Ok(Email(trimmed.to_lowercase()))
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let email: Email = "  John.Smith@Example.ORG ".parse().unwrap();
        assert_eq!(email.as_str(), "john.smith@example.org");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in ["", "john", "john@", "@example.org", "John <john@example.org>", "a b@example.org"] {
            assert!(bad.parse::<Email>().is_err(), "{bad:?} must be refused");
        }
    }
}
