//! Authentication: password hashing, access tokens, API keys, and login throttling.

pub mod api_keys;
pub mod digest;
pub mod failures;
pub mod jwt;
pub mod password;
pub mod sessions;
pub mod throttle;

/// The authenticated caller of a request: the application's user (see `crate::web::identity`
/// for how a request becomes one).
pub use crate::app::User as AuthUser;
