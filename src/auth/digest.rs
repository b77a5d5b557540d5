//! Keyed digests of short secrets (passport numbers in the verification log, share codes): an
//! HMAC-SHA-256 under a server secret, so that their small space cannot be searched by whoever
//! reads the database.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The digest of `text` under `key`, hex.
pub fn keyed_digest(key: &[u8], text: &str) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(text.as_bytes());
            lower_hex(&mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length: this arm is never taken.
        Err(_) => String::new(),
    }
}

/// A SHA-256-sized digest in lower-case hex. Written through a buffer: `hex::encode` pushes
/// one `char` at a time, which showed on the verification hot path (two digests a check).
pub fn lower_hex(digest: &[u8]) -> String {
    let mut buffer = [0u8; 64];
    match buffer.get_mut(..digest.len() * 2).map(|out| hex::encode_to_slice(digest, out)) {
        Some(Ok(())) => String::from_utf8_lossy(&buffer[..digest.len() * 2]).into_owned(),
        // Longer than a SHA-256 digest.
        _ => hex::encode(digest),
    }
}

#[cfg(test)]
mod tests {
    use super::{keyed_digest, lower_hex};

    #[test]
    fn hex_is_hex_whatever_the_length() {
        assert_eq!(lower_hex(&[0x00, 0xab, 0xff]), "00abff");
        let long: Vec<u8> = (0..40).collect();
        assert_eq!(lower_hex(&long), hex::encode(&long));
        assert_eq!(lower_hex(&[7u8; 32]), hex::encode([7u8; 32]));
    }

    #[test]
    fn digests_depend_on_the_key_and_the_text() {
        // RFC 4231, test case 2.
        assert_eq!(
            keyed_digest(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(keyed_digest(b"Jefe", "a"), keyed_digest(b"Jefe", "b"));
    }
}
