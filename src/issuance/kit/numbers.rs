//! Numbers printed on issued documents: random, unrelated to one another, from an alphabet that
//! the machine-readable zone and a person typing it both read.

use rand::Rng;

/// Alphabet of document numbers.
pub const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `length` random characters of [`ALPHABET`].
pub fn random(length: usize) -> String {
    let mut rng = rand::rng();
    (0..length).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_of_the_alphabet_and_unpredictable() {
        let numbers: std::collections::HashSet<String> = (0..1000).map(|_| random(9)).collect();
        assert_eq!(numbers.len(), 1000);
        assert!(numbers.iter().all(|n| n.len() == 9 && n.bytes().all(|b| ALPHABET.contains(&b))));
    }
}
