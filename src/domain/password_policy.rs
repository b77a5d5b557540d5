//! Which passwords an account may have.

use super::FieldError;

/// Shortest acceptable password, in characters.
pub const MIN_LENGTH: usize = 10;
/// Longest acceptable password, in characters (bounds the cost of hashing).
pub const MAX_LENGTH: usize = 128;

/// Checks a new password: long enough, not absurdly long, and not among the passwords that
/// attackers try first (dictionary words, keyboard walks, common passwords, the user's own
/// name or address). `context` holds such personal words.
pub fn check(password: &str, context: &[&str]) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(FieldError::new(
            "password",
            "too_short",
            format!("the password must have at least {MIN_LENGTH} characters"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(FieldError::new(
            "password",
            "too_long",
            format!("the password must have at most {MAX_LENGTH} characters"),
        ));
    }
    let estimate = zxcvbn::zxcvbn(password, context);
    if u8::from(estimate.score()) < 2 {
        return Err(FieldError::new(
            "password",
            "too_common",
            "this password is too common or too easy to guess; choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(check("Sh0rt!pw", &[]).unwrap_err().code, "too_short");
    }

    #[test]
    fn common_passwords_are_refused() {
        for common in ["password123", "1234567890", "qwertyuiop", "iloveyou12", "password1!"] {
            assert_eq!(check(common, &[]).unwrap_err().code, "too_common", "{common}");
        }
    }

    #[test]
    fn personal_words_count_as_common() {
        assert!(check("john.smith@example.org", &["john", "smith", "john.smith@example.org"]).is_err());
    }

    #[test]
    fn strong_passwords_are_accepted() {
        assert!(check("correct-horse-battery-staple", &[]).is_ok());
        assert!(check("kX8#mP2vQz", &[]).is_ok());
    }
}
