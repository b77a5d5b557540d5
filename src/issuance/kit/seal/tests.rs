//! The seal's encoding against the worked examples of BSI TR-03137 (section 3.2.3 and Annex F),
//! and a seal signed, read back and checked.

use super::*;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap()
}

#[test]
fn dates_as_the_specification_writes_them() {
    assert_eq!(encode_date(date("1957-03-25")), [0x31, 0x9E, 0xF5]);
    assert_eq!(encode_date(date("2020-01-01")), [0x0F, 0x71, 0x34]);
    assert_eq!(encode_date(date("2021-12-03")), [0xB7, 0x98, 0x15]);
    assert_eq!(decode_date([0x31, 0x9E, 0xF5]), Some(date("1957-03-25")));
    assert_eq!(decode_date([0xB7, 0x98, 0x15]), Some(date("2021-12-03")));
    assert_eq!(decode_date([0x00, 0x00, 0x00]), None, "month 0 is no date");
}

/// Annex F: the German visa sticker's seal, all but its signature (made with a curve this
/// project does not use).
fn annex_f() -> (Header, Vec<Feature>) {
    let header = Header {
        issuing_country: "D<<".into(),
        signer: "DETS".into(),
        certificate_reference: "32".into(),
        issue_date: date("2020-01-01"),
        signature_date: date("2021-12-03"),
        feature_definition: 0x5D,
        document_type: 0x01,
    };
    // MRV-B: the first line (36 characters) and the first 28 of the second; 64 characters, so
    // the last is written unlatched (`FE 31`, a single '0').
    let mrz = format!("{:<<36}{}", "VCD<<DENT<<ARTHUR<PHILIP", "1234567XY7GBR5203116M2005250");
    let features = vec![
        Feature { tag: 0x02, value: c40::encode(&mrz).unwrap() },
        Feature { tag: 0x04, value: vec![0xA0, 0x00, 0x00] },
        Feature { tag: 0x05, value: c40::encode("47110815P").unwrap() },
    ];
    (header, features)
}

#[test]
fn header_and_message_are_byte_for_byte_those_of_annex_f() {
    let (header, features) = annex_f();
    let expected = unhex(
        "dc 03 6a bc 6d 32 c8 a7 2c b1 0f 71 34 b7 98 15 5d 01 02 2c dd 52 13 4a 74 da 13 47 c6 fe d9 5c \
         b8 9f 9f ce 13 3c 13 3c 13 3c 13 3c 20 38 33 73 4a af 47 f0 c3 2f 1a 1e 20 eb 26 25 39 3a fe 31 \
         04 03 a0 00 00 05 06 33 be 1f ed 20 c6",
    );
    assert_eq!(hex::encode(signed_part(&header, &features).unwrap()), hex::encode(&expected));
}

#[test]
fn annex_f_reads_back_field_by_field() {
    // The example's own bytes, its brainpool signature included, read as any seal is.
    let printed = unhex(
        "dc 03 6a bc 6d 32 c8 a7 2c b1 0f 71 34 b7 98 15 5d 01 02 2c dd 52 13 4a 74 da 13 47 c6 fe d9 5c \
         b8 9f 9f ce 13 3c 13 3c 13 3c 13 3c 20 38 33 73 4a af 47 f0 c3 2f 1a 1e 20 eb 26 25 39 3a fe 31 \
         04 03 a0 00 00 05 06 33 be 1f ed 20 c6 ff 38 d5 57 32 47 60 8c 9b 64 ca e0 22 c1 c5 24 96 60 e5 \
         1a e3 16 d6 00 f9 74 aa c2 12 9c 3f 09 3c 35 95 53 14 02 63 04 70 5c d2 4c 1b 81 00 71 1b d4 41 \
         1f 06 8e 8d 93 e8 b7",
    );
    let seal = Seal::parse(&printed).unwrap();
    let (header, features) = annex_f();
    assert_eq!(seal.header, header);
    assert_eq!(seal.features, features);
    assert_eq!(seal.signature.len(), 56);
    assert_eq!(c40::decode(seal.feature(0x05).unwrap()).unwrap(), "47110815P");
}

#[test]
fn a_signed_seal_verifies_with_its_key_only_and_not_once_changed() {
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let (mut header, features) = annex_f();
    header.certificate_reference = "1F00A3C5D2E4B6978812345678ABCDEF".into();
    let bytes = sign(&header, &features, &key).unwrap();
    assert_eq!(bytes, sign(&header, &features, &key).unwrap(), "deterministic");
    let seal = Seal::parse(&bytes).unwrap();
    assert_eq!(seal.header, header, "a long certificate reference reads back");
    assert_eq!(seal.signature.len(), 64, "r and s of P-256");
    assert!(seal.verify(key.verifying_key()));
    let other = SigningKey::from_slice(&[9u8; 32]).unwrap();
    assert!(!seal.verify(other.verifying_key()));
    let mut changed = bytes.clone();
    changed[20] ^= 0x01;
    assert!(Seal::parse(&changed).is_ok_and(|seal| !seal.verify(key.verifying_key())));
}

#[test]
fn lengths_beyond_127_use_the_long_form_and_damage_is_reported() {
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let (header, mut features) = annex_f();
    features.push(Feature { tag: 0x07, value: vec![0x41; 200] });
    let bytes = sign(&header, &features, &key).unwrap();
    let seal = Seal::parse(&bytes).unwrap();
    assert_eq!(seal.feature(0x07).map(<[u8]>::len), Some(200));
    assert!(seal.verify(key.verifying_key()));
    assert!(Seal::parse(&bytes[..bytes.len() - 1]).is_err(), "cut short");
    assert!(Seal::parse(&bytes[1..]).is_err(), "no magic");
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(Seal::parse(&trailing).is_err(), "bytes after the signature");
}
