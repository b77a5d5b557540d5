//! Who acts: the roles of user accounts, plus the service itself.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::UnknownName;

/// The role of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A member of the public applying for a service.
    Applicant,
    /// A consular officer of a post.
    Officer,
    /// A consular supervisor of a post.
    Supervisor,
    /// An administrator of the service (accounts, posts, clients); decides no cases.
    Admin,
    /// The service itself (background jobs). Never the role of an account.
    System,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [Role::Applicant, Role::Officer, Role::Supervisor, Role::Admin, Role::System];

    /// The stable name used in the database, tokens and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    /// Whether accounts of this role work at a consular post and must belong to one.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Officer | Role::Supervisor | Role::Admin)
    }

    /// Whether this role examines cases of its post.
    pub fn handles_cases(self) -> bool {
        matches!(self, Role::Officer | Role::Supervisor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(UnknownName)
    }
}
