//! Access tokens: HS256 JWTs with issuer, audience, expiry and the caller's role.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::app::Error;
use crate::domain::role::Role;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The account id.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Token id.
    pub jti: String,
    /// The account's role.
    pub role: Role,
    /// The staff member's post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
    /// The account's token epoch when the token was issued; tokens of an older epoch are refused.
    #[serde(default)]
    pub epoch: i32,
}

/// Issues and verifies access tokens.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
}

/// A freshly issued token.
#[derive(Debug, Serialize)]
pub struct IssuedToken {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

impl TokenService {
    /// A service signing with `secret` for `issuer` and `audience`.
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl_secs: u64) -> TokenService {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        TokenService {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl_secs,
        }
    }

    /// Issues a token for an account.
    pub fn issue(&self, user_id: &str, role: Role, post: Option<&str>, epoch: i32) -> Result<IssuedToken, Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            iat: now,
            nbf: now,
            exp: now + i64::try_from(self.ttl_secs).unwrap_or(i64::MAX / 2),
            jti: uuid::Uuid::new_v4().to_string(),
            role,
            post: post.map(str::to_owned),
            epoch,
        };
        let access_token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(Error::internal)?;
        Ok(IssuedToken { access_token, token_type: "Bearer", expires_in: self.ttl_secs })
    }

    /// Verifies a token: algorithm, signature, issuer, audience, expiry. Never trusts a token
    /// that claims to be the service itself.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|err| {
            tracing::debug!(error = %err, "access token refused");
            Error::Unauthenticated("the access token is invalid or expired".into())
        })?;
        if data.claims.role == Role::System {
            return Err(Error::Unauthenticated("the access token is invalid or expired".into()));
        }
        Ok(data.claims)
    }
}
