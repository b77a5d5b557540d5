//! The C40 encoding of ISO/IEC 16022 as visible digital seals use it (ICAO Doc 9303 Part 13;
//! BSI TR-03137 Annex B): upper-case letters, digits and space, three characters in two bytes,
//! the MRZ filler `<` written as a space.

/// A character C40 cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot be written in C40 (A-Z, 0-9, space and < only)")]
pub struct NotC40(pub char);

/// Bytes that are not C40.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not C40: {0}")]
pub struct BadC40(pub &'static str);

/// Shift 1: the value that completes a final pair of characters into a triple.
const SHIFT_1: u16 = 0;
/// Unlatch: a final single character follows in Data Matrix's ASCII encoding.
const UNLATCH: u8 = 0xFE;

fn value(c: char) -> Result<u16, NotC40> {
    match c {
        ' ' | '<' => Ok(3),
        '0'..='9' => Ok(c as u16 - '0' as u16 + 4),
        'A'..='Z' => Ok(c as u16 - 'A' as u16 + 14),
        other => Err(NotC40(other)),
    }
}

fn character(value: u16) -> Option<char> {
    match value {
        3 => Some(' '),
        4..=13 => char::from_u32(u32::from(value - 4) + '0' as u32),
        14..=39 => char::from_u32(u32::from(value - 14) + 'A' as u32),
        _ => None,
    }
}

/// `text` in C40: every three characters in two bytes; a final pair padded with Shift 1; a final
/// single character as the unlatch byte and its ASCII value plus one.
pub fn encode(text: &str) -> Result<Vec<u8>, NotC40> {
    let values = text.chars().map(value).collect::<Result<Vec<u16>, _>>()?;
    let mut bytes = Vec::with_capacity(values.len().div_ceil(3) * 2);
    for chunk in values.chunks(3) {
        match *chunk {
            [a, b, c] => bytes.extend_from_slice(&(1600 * a + 40 * b + c + 1).to_be_bytes()),
            [a, b] => bytes.extend_from_slice(&(1600 * a + 40 * b + SHIFT_1 + 1).to_be_bytes()),
            [a] => {
                let ascii = character(a).map_or(b' ', |c| c as u8);
                bytes.extend_from_slice(&[UNLATCH, ascii + 1]);
            }
            _ => unreachable!("chunks of one to three"),
        }
    }
    Ok(bytes)
}

/// The text of C40 bytes, fillers read as spaces (the inverse of [`encode`]).
pub fn decode(bytes: &[u8]) -> Result<String, BadC40> {
    if bytes.len() % 2 != 0 {
        return Err(BadC40("an odd number of bytes"));
    }
    let mut text = String::with_capacity(bytes.len() / 2 * 3);
    for pair in bytes.chunks(2) {
        if pair[0] == UNLATCH {
            let ascii = pair[1].checked_sub(1).filter(u8::is_ascii).ok_or(BadC40("a bad ASCII character"))?;
            text.push(ascii as char);
            continue;
        }
        let packed = u16::from_be_bytes([pair[0], pair[1]]).checked_sub(1).ok_or(BadC40("a zero pair"))?;
        let values = [packed / 1600, packed / 40 % 40, packed % 40];
        for (index, value) in values.into_iter().enumerate() {
            match character(value) {
                Some(c) => text.push(c),
                // Shift 1 may only pad the last triple.
                None if value == SHIFT_1 && index == 2 => {}
                None => return Err(BadC40("a value that is not a character")),
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        hex::encode(bytes)
    }

    #[test]
    fn the_worked_examples_of_tr_03137_annex_b() {
        // A filler is a space; the final pair is padded with Shift 1.
        assert_eq!(hex(&encode("XK<CD").unwrap()), "eb0466a9");
        // The final single character is unlatched and written in ASCII plus one.
        assert_eq!(hex(&encode("XKCD").unwrap()), "eb11fe45");
        assert_eq!(decode(&encode("XK<CD").unwrap()).unwrap(), "XK CD");
        assert_eq!(decode(&encode("XKCD").unwrap()).unwrap(), "XKCD");
    }

    #[test]
    fn seal_fields_of_the_worked_examples() {
        assert_eq!(hex(&encode("D<<").unwrap()), "6abc");
        assert_eq!(hex(&encode("DETS0232").unwrap()), "6d32c8a72cb1");
        assert_eq!(hex(&encode("47110815P").unwrap()), "33be1fed20c6");
        assert_eq!(hex(&encode("BSI01").unwrap()), "62d719c9");
    }

    #[test]
    fn lengths_are_the_least_even_number_not_below_the_characters() {
        for (text, length) in [("", 0), ("A", 2), ("AB", 2), ("ABC", 2), ("ABCD", 4), ("ABCDE", 4), ("ABCDEF", 4)] {
            let bytes = encode(text).unwrap();
            assert_eq!(bytes.len(), length, "{text}");
            assert_eq!(decode(&bytes).unwrap(), text);
        }
    }

    #[test]
    fn what_c40_cannot_carry_is_refused() {
        assert_eq!(encode("abc"), Err(NotC40('a')));
        assert_eq!(encode("Ü"), Err(NotC40('Ü')));
        assert!(decode(&[0x01]).is_err(), "odd length");
        assert!(decode(&[0x00, 0x00]).is_err(), "zero pair");
        assert!(decode(&[0xFF, 0xFF]).is_err(), "beyond 64000");
    }
}
