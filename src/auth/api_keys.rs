//! API keys of machine clients: `evk_<prefix>_<secret>`, shown once, stored only as a SHA-256
//! hash (the secret is random and long, so a fast hash is enough) found by its public prefix.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// A new key: (the key to hand out once, its prefix, its hash).
pub fn generate() -> (String, String, String) {
    let random = |n| rand::rng().sample_iter(Alphanumeric).take(n).map(char::from).collect::<String>();
    let prefix = random(10);
    let key = format!("evk_{prefix}_{}", random(40));
    let hash = hash(&key);
    (key, prefix, hash)
}

/// The stored hash of a key.
pub fn hash(key: &str) -> String {
    super::digest::lower_hex(&Sha256::digest(key.as_bytes()))
}

/// The public prefix of a well-formed key, by which its client is found.
pub fn prefix_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("evk_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 10 && secret.len() == 40).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_findable_prefix_and_a_stored_hash() {
        let (key, prefix, stored) = generate();
        assert_eq!(prefix_of(&key), Some(prefix.as_str()));
        assert_eq!(hash(&key), stored);
        assert_ne!(generate().0, key);
        assert_eq!(prefix_of("evk_short_x"), None);
        assert_eq!(prefix_of("Bearer something"), None);
    }
}
