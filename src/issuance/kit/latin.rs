//! Latin text for what is printed: names as the machine-readable zone writes them (ICAO 9303
//! transliteration, fillers as spaces), and free text whose non-Latin words are transliterated.

use crate::domain::mrz;

/// A name in Latin letters for the visual zone: the MRZ transliteration with spaces for fillers.
pub fn latin(text: &str) -> String {
    mrz::transliterate(text).replace('<', " ")
}

/// Free text for the built-in fonts: words outside printable ASCII are transliterated, the rest
/// kept as written.
pub fn latin_text(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.bytes().all(|b| (0x20..0x7f).contains(&b)) { word.to_owned() } else { latin(word) })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_words_are_transliterated_and_latin_ones_kept() {
        assert_eq!(latin_text("Embassy in Астана"), "Embassy in ASTANA");
        assert_eq!(latin("Zoë Anaïs"), "ZOE ANAIS");
    }
}
