//! Machine readable zones of visas (ICAO Doc 9303 Part 7, format MRV-A): two lines of 44
//! characters, with names transliterated and truncated by the rules of Part 3.

use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;

/// Length of each MRV-A line.
pub const LINE_LENGTH: usize = 44;
/// Characters of the name field on line 1.
const NAME_FIELD: usize = LINE_LENGTH - 5;
/// Characters of the optional data on line 2.
const OPTIONAL_DATA: usize = 16;

/// What an MRV-A encodes.
#[derive(Debug, Clone)]
pub struct MrvA<'a> {
    /// Second character of line 1: the visa's type letter, or `<`.
    pub type_letter: char,
    /// ICAO code of the issuing state.
    pub issuing_state: &'a str,
    /// Primary identifier (surname), any script.
    pub surname: &'a str,
    /// Secondary identifier (given names), any script; may be empty.
    pub given_names: &'a str,
    /// The visa number, up to 9 characters.
    pub document_number: &'a str,
    /// ICAO code of the holder's nationality.
    pub nationality: &'a str,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// `M`, `F` or `<` (unspecified).
    pub sex: char,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Optional data at the state's discretion (for example the passport number).
    pub optional_data: &'a str,
}

/// The value of an MRZ character in check digit calculations: digits as themselves, `A`-`Z` as
/// 10-35, the filler as 0.
fn char_value(c: char) -> u32 {
    match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32 + 10,
        _ => 0,
    }
}

/// The check digit of a field: weights 7, 3, 1 repeating, sum modulo 10.
pub fn check_digit(field: &str) -> char {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = field.chars().enumerate().map(|(i, c)| char_value(c) * WEIGHTS[i % 3]).sum();
    char::from_digit(sum % 10, 10).unwrap_or('0')
}

/// Transliterates one character to MRZ letters (Doc 9303 Part 3, section 6): Latin letters with
/// diacritics lose them, except those the standard spells out (`Ä` AE, `Ø` OE, `ß` SS, ...);
/// Cyrillic follows the standard's table (Kazakh letters map to their closest base letter).
/// Anything else that is not a letter becomes a filler; unknown letters are dropped.
fn transliterate_char(c: char, out: &mut String) {
    let upper: String = c.to_uppercase().collect();
    for c in upper.chars() {
        let mapped: Option<&str> = match c {
            'A'..='Z' => {
                out.push(c);
                continue;
            }
            'Ä' | 'Æ' => Some("AE"),
            'Å' => Some("AA"),
            'Ö' | 'Ø' | 'Œ' => Some("OE"),
            'Ü' => Some("UE"),
            'ẞ' => Some("SS"),
            'Þ' => Some("TH"),
            'Ĳ' => Some("IJ"),
            'Ð' | 'Đ' => Some("D"),
            'Ł' => Some("L"),
            'Ħ' => Some("H"),
            'Ŋ' => Some("N"),
            'İ' => Some("I"),
            // Cyrillic.
            'А' | 'Ә' => Some("A"),
            'Б' => Some("B"),
            'В' => Some("V"),
            'Г' | 'Ґ' | 'Ѓ' | 'Ғ' => Some("G"),
            'Д' | 'Ђ' => Some("D"),
            'Е' | 'Ё' | 'Э' => Some("E"),
            'Є' | 'Ъ' => Some("IE"),
            'Ж' => Some("ZH"),
            'З' => Some("Z"),
            'Ѕ' | 'Џ' => Some("DZ"),
            'И' | 'Й' | 'І' | 'Ї' => Some("I"),
            'Ј' => Some("J"),
            'К' | 'Ќ' | 'Қ' => Some("K"),
            'Л' => Some("L"),
            'Љ' => Some("LJ"),
            'М' => Some("M"),
            'Н' | 'Ң' => Some("N"),
            'Њ' => Some("NJ"),
            'О' | 'Ө' => Some("O"),
            'П' => Some("P"),
            'Р' => Some("R"),
            'С' => Some("S"),
            'Т' => Some("T"),
            'Ћ' => Some("C"),
            'У' | 'Ў' | 'Ұ' | 'Ү' => Some("U"),
            'Ф' => Some("F"),
            'Х' => Some("KH"),
            'Һ' => Some("H"),
            'Ц' => Some("TS"),
            'Ч' => Some("CH"),
            'Ш' => Some("SH"),
            'Щ' => Some("SHCH"),
            'Ы' => Some("Y"),
            'Ь' => Some(""),
            'Ю' => Some("IU"),
            'Я' => Some("IA"),
            // Apostrophes disappear; other separators become fillers.
            '\'' | '’' | 'ʼ' | '`' => Some(""),
            ' ' | '-' | '‐' | '.' | ',' => Some("<"),
            _ => None,
        };
        match mapped {
            Some(text) => out.push_str(text),
            None => {
                // Other Latin letters with diacritics: the base letter.
                for base in c.nfd().filter(char::is_ascii_uppercase) {
                    out.push(base);
                }
            }
        }
    }
}

/// Whether a name has a Latin form a document can print (its transliteration keeps at least a
/// letter): names written only in scripts the transliteration does not cover, or in emoji, have
/// none, and would leave a document's name blank.
pub fn has_latin_form(name: &str) -> bool {
    transliterate(name).bytes().any(|b| b.is_ascii_alphabetic())
}

/// A name component in MRZ characters: transliterated, with runs of fillers collapsed and none
/// at either end.
pub fn transliterate(name: &str) -> String {
    let mut raw = String::new();
    // `ß` has no upper-case single character in most fonts; map it before upper-casing.
    for c in name.chars() {
        if c == 'ß' { raw.push_str("SS") } else { transliterate_char(c, &mut raw) }
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c == '<' && (out.is_empty() || out.ends_with('<')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('<') {
        out.pop();
    }
    out
}

/// The name field of line 1 (39 characters): primary identifier, `<<`, secondary identifier,
/// padded with fillers. A name too long is truncated (Doc 9303 Part 3, 4.6.4): the secondary
/// identifier first, then the primary; the field then ends in a letter rather than a filler,
/// which tells a reader the name was truncated.
pub fn name_field(surname: &str, given_names: &str) -> String {
    let primary = transliterate(surname);
    let secondary = transliterate(given_names);
    let mut field = if secondary.is_empty() { primary.clone() } else { format!("{primary}<<{secondary}") };
    if field.chars().count() > NAME_FIELD {
        field = field.chars().take(NAME_FIELD).collect();
        while field.ends_with('<') {
            field.pop();
        }
    }
    pad(&field, NAME_FIELD)
}

fn pad(text: &str, width: usize) -> String {
    let mut out: String = text.chars().take(width).collect();
    while out.chars().count() < width {
        out.push('<');
    }
    out
}

fn yymmdd(date: NaiveDate) -> String {
    format!("{:02}{:02}{:02}", date.year().rem_euclid(100), date.month(), date.day())
}

/// Makes a field of MRZ characters only: upper-case letters and digits kept, anything else a
/// filler.
fn sanitise(text: &str) -> String {
    text.chars()
        .map(|c| c.to_ascii_uppercase())
        .map(|c| if c.is_ascii_uppercase() || c.is_ascii_digit() { c } else { '<' })
        .collect()
}

impl MrvA<'_> {
    /// The two lines.
    pub fn lines(&self) -> [String; 2] {
        let type_letter = if self.type_letter.is_ascii_uppercase() { self.type_letter } else { '<' };
        let line1 = format!(
            "V{type_letter}{}{}",
            pad(&sanitise(self.issuing_state), 3),
            name_field(self.surname, self.given_names)
        );
        let number = pad(&sanitise(self.document_number), 9);
        let birth = yymmdd(self.date_of_birth);
        let until = yymmdd(self.valid_until);
        let sex = if matches!(self.sex, 'M' | 'F') { self.sex } else { '<' };
        let line2 = format!(
            "{number}{}{}{birth}{}{sex}{until}{}{}",
            check_digit(&number),
            pad(&sanitise(self.nationality), 3),
            check_digit(&birth),
            check_digit(&until),
            pad(&sanitise(self.optional_data), OPTIONAL_DATA),
        );
        [line1, line2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The ICAO specimen, from `../shared/testdata/mrz-specimens.txt`.
    const SPECIMEN: [&str; 2] =
        ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"];

    #[test]
    fn the_icao_specimen_is_reproduced() {
        let mrz = MrvA {
            type_letter: '<',
            issuing_state: "UTO",
            surname: "Eriksson",
            given_names: "Anna María",
            document_number: "L8988901C",
            nationality: "XXX",
            date_of_birth: date("1940-09-07"),
            sex: 'F',
            valid_until: date("1996-12-10"),
            optional_data: "6ZE184226B",
        };
        assert_eq!(mrz.lines(), SPECIMEN);
    }

    #[test]
    fn check_digits_follow_the_7_3_1_weights() {
        assert_eq!(check_digit("L8988901C"), '4');
        assert_eq!(check_digit("400907"), '8');
        assert_eq!(check_digit("961210"), '9');
        assert_eq!(check_digit("<<<<<<<<<"), '0');
    }

    #[test]
    fn names_are_transliterated_by_the_standard() {
        assert_eq!(transliterate("Müller-Lüdenscheidt"), "MUELLER<LUEDENSCHEIDT");
        assert_eq!(transliterate("Øster Ærø"), "OESTER<AEROE");
        assert_eq!(transliterate("Straße"), "STRASSE");
        assert!(has_latin_form("Жумабаев") && has_latin_form("Müller") && has_latin_form("Ng 吴"));
        assert!(!has_latin_form("王伟") && !has_latin_form("محمد") && !has_latin_form("😀"));
        assert_eq!(transliterate("O'Brien"), "OBRIEN");
        assert_eq!(transliterate("José Ñúñez Çelik"), "JOSE<NUNEZ<CELIK");
        assert_eq!(transliterate("Łukasz Żółć"), "LUKASZ<ZOLC");
        assert_eq!(transliterate("Щербаков"), "SHCHERBAKOV");
        assert_eq!(transliterate("Юлия Ёлкина"), "IULIIA<ELKINA");
        assert_eq!(transliterate("Жумабаева Айгерим"), "ZHUMABAEVA<AIGERIM");
        assert_eq!(transliterate("Қасымов Әлихан"), "KASYMOV<ALIKHAN");
        assert_eq!(transliterate("  Anne -- Marie  "), "ANNE<MARIE");
    }

    #[test]
    fn long_names_are_truncated_secondary_first_ending_in_a_letter() {
        let field = name_field("Hernández", "María de los Ángeles Concepción Guadalupe");
        assert_eq!(field, "HERNANDEZ<<MARIA<DE<LOS<ANGELES<CONCEPC");
        let field = name_field("Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft", "Hubert");
        assert_eq!(field, "WOLFESCHLEGELSTEINHAUSENBERGERDORFFWELC");
        // A cut that would leave a filler at the end drops it.
        let field = name_field("Abcdefghijklmnopqrstuvwxyzabcdefghijk", "Lm");
        assert_eq!(field.len(), 39);
        assert!(!field.trim_end_matches('<').ends_with("<<"));
    }

    #[test]
    fn a_single_name_has_no_secondary_identifier() {
        assert_eq!(name_field("Sukarno", ""), pad("SUKARNO", 39));
    }

    proptest! {
        #[test]
        fn lines_are_always_44_mrz_characters(
            surname in "\\PC{0,60}",
            given in "\\PC{0,60}",
            number in "[A-Z0-9]{9}",
            sex in prop::sample::select(vec!['M', 'F', 'X']),
            birth in 0i64..36_500,
            until in 0i64..36_500,
        ) {
            let base = date("1930-01-01");
            let mrz = MrvA {
                type_letter: 'C',
                issuing_state: "UTO",
                surname: &surname,
                given_names: &given,
                document_number: &number,
                nationality: "D",
                date_of_birth: base + chrono::Duration::days(birth),
                sex,
                valid_until: base + chrono::Duration::days(until),
                optional_data: "",
            };
            let [line1, line2] = mrz.lines();
            for line in [&line1, &line2] {
                prop_assert_eq!(line.len(), LINE_LENGTH);
                prop_assert!(line.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'));
            }
            prop_assert!(line1.starts_with("VCUTO"));
            prop_assert_eq!(&line2[10..13], "D<<");
            // Each check digit matches its field.
            prop_assert_eq!(line2.chars().nth(9).unwrap(), check_digit(&line2[0..9]));
            prop_assert_eq!(line2.chars().nth(19).unwrap(), check_digit(&line2[13..19]));
            prop_assert_eq!(line2.chars().nth(27).unwrap(), check_digit(&line2[21..27]));
            // A name that fits is kept whole; one that does not ends in a letter.
            let name = transliterate(&surname);
            if !name.is_empty() && name.len() <= 36 && transliterate(&given).is_empty() {
                prop_assert!(line1[5..].starts_with(&name));
            }
        }

        #[test]
        fn a_single_substitution_is_detected_unless_the_values_differ_by_ten(
            field in "[A-Z0-9<]{9}",
            position in 0usize..9,
            replacement in "[A-Z0-9<]",
        ) {
            let mut changed: Vec<char> = field.chars().collect();
            let old = changed[position];
            let new = replacement.chars().next().unwrap();
            changed[position] = new;
            let changed: String = changed.into_iter().collect();
            let detectable = (char_value(old) as i64 - char_value(new) as i64).rem_euclid(10) != 0;
            prop_assert_eq!(check_digit(&field) != check_digit(&changed), detectable);
        }
    }
}
