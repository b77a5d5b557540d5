//! Visible digital seals (ICAO Doc 9303 Part 13, version 4; profiled for visas by BSI
//! TR-03137): a header naming the issuing state, the signer and its certificate, and the
//! dates; a message zone of document features as tag, length, value; and a signature zone
//! (tag `0xFF`) holding an ECDSA P-256 signature `r‖s` over header and message. Printed as a
//! Data Matrix; read back by [`Seal::parse`] and checked by [`Seal::verify`].

pub mod c40;

use anyhow::{Context, bail, ensure};
use chrono::{Datelike, NaiveDate};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

/// The first byte of every seal.
pub const MAGIC: u8 = 0xDC;
/// Version 4 of the encoding, written as 3.
pub const VERSION_4: u8 = 0x03;
/// The tag that starts the signature zone.
pub const SIGNATURE_TAG: u8 = 0xFF;

/// What a seal's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The issuing state's three-letter code, fillers included (`UTO`, `D<<`).
    pub issuing_country: String,
    /// The signer: the issuing state's two-letter country code and two characters of its own.
    pub signer: String,
    /// The signer certificate's reference: its serial number in upper-case hex.
    pub certificate_reference: String,
    /// When the document was issued.
    pub issue_date: NaiveDate,
    /// When the seal was signed.
    pub signature_date: NaiveDate,
    /// Which table of features the message zone follows (0x5D: visas).
    pub feature_definition: u8,
    /// The kind of document the seal is printed on (0x01: visa).
    pub document_type: u8,
}

/// One document feature of the message zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// Its tag, 0 to 254.
    pub tag: u8,
    /// Its value as bytes.
    pub value: Vec<u8>,
}

/// A seal read back: what it says and whether its signature holds are separate questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// The header.
    pub header: Header,
    /// The document features, in order.
    pub features: Vec<Feature>,
    /// The signature, `r‖s`.
    pub signature: Vec<u8>,
    /// The bytes the signature covers: header and message zone.
    signed: Vec<u8>,
}

/// A date as a seal writes it: the digits of month, day and four-digit year read as one number,
/// in three bytes (25 March 1957 is 03251957, `31 9E F5`).
pub fn encode_date(date: NaiveDate) -> [u8; 3] {
    let number = date.month() * 1_000_000 + date.day() * 10_000 + date.year().clamp(0, 9999) as u32;
    let [_, high, middle, low] = number.to_be_bytes();
    [high, middle, low]
}

/// The date three bytes stand for (the inverse of [`encode_date`]).
pub fn decode_date(bytes: [u8; 3]) -> Option<NaiveDate> {
    let number = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
    NaiveDate::from_ymd_opt((number % 10_000) as i32, number / 1_000_000, number / 10_000 % 100)
}

/// A length as the seal's TLVs write it (DER: one byte below 128, else 0x81 or 0x82 and the
/// length).
fn write_length(out: &mut Vec<u8>, length: usize) -> anyhow::Result<()> {
    match length {
        0..=0x7F => out.push(length as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, length as u8]),
        0x100..=0xFFFF => out.extend_from_slice(&[0x82, (length >> 8) as u8, length as u8]),
        _ => bail!("a feature of {length} bytes is beyond a seal"),
    }
    Ok(())
}

/// Reads a length at `*at`, moving past it.
fn read_length(bytes: &[u8], at: &mut usize) -> anyhow::Result<usize> {
    let first = *bytes.get(*at).context("a length is missing")?;
    *at += 1;
    let width = match first {
        0..=0x7F => return Ok(usize::from(first)),
        0x81 => 1,
        0x82 => 2,
        _ => bail!("a length of form {first:#04x}"),
    };
    let digits = bytes.get(*at..*at + width).context("a length is cut short")?;
    *at += width;
    Ok(digits.iter().fold(0, |length, b| length << 8 | usize::from(*b)))
}

impl Header {
    /// The header's bytes.
    pub fn encode(&self) -> anyhow::Result<Vec<u8>> {
        ensure!(self.issuing_country.chars().count() == 3, "the issuing country has three characters");
        ensure!(self.signer.chars().count() == 4, "the signer identifier has four characters");
        let reference = &self.certificate_reference;
        ensure!(!reference.is_empty() && reference.len() <= 0xFF, "a certificate reference of 1 to 255 characters");
        let mut out = vec![MAGIC, VERSION_4];
        out.extend(c40::encode(&self.issuing_country)?);
        out.extend(c40::encode(&format!("{}{:02X}{reference}", self.signer, reference.len()))?);
        out.extend(encode_date(self.issue_date));
        out.extend(encode_date(self.signature_date));
        out.extend([self.feature_definition, self.document_type]);
        Ok(out)
    }

    /// Reads a header at the start of `bytes`; the header and where the message zone starts.
    fn parse(bytes: &[u8]) -> anyhow::Result<(Header, usize)> {
        ensure!(bytes.first() == Some(&MAGIC), "not a seal: it does not start with 0xDC");
        ensure!(bytes.get(1) == Some(&VERSION_4), "not a seal of version 4");
        let issuing_country = c40::decode(bytes.get(2..4).context("the header is cut short")?)?;
        // The signer (4 characters) and the reference's length (2, in hex) fill the first two
        // pairs of bytes.
        let lead = c40::decode(bytes.get(4..8).context("the header is cut short")?)?;
        ensure!(lead.len() == 6, "a bad signer identifier");
        let length = usize::from_str_radix(&lead[4..6], 16).context("a bad certificate reference length")?;
        // The identifier, the length and the reference, C40 in pairs of bytes for triples.
        let characters = 6 + length;
        let width = characters / 3 * 2 + if characters % 3 == 0 { 0 } else { 2 };
        let end = 4 + width;
        let signer_and_reference = c40::decode(bytes.get(4..end).context("the header is cut short")?)?;
        ensure!(signer_and_reference.len() == characters, "a certificate reference of the wrong length");
        let dates = bytes.get(end..end + 8).context("the header is cut short")?;
        let date = |at: usize| decode_date([dates[at], dates[at + 1], dates[at + 2]]).context("a bad date");
        let header = Header {
            issuing_country: issuing_country.replace(' ', "<"),
            signer: signer_and_reference[..4].to_owned(),
            certificate_reference: signer_and_reference[6..].to_owned(),
            issue_date: date(0)?,
            signature_date: date(3)?,
            feature_definition: dates[6],
            document_type: dates[7],
        };
        Ok((header, end + 8))
    }
}

/// Header and message zone: the bytes a seal's signature covers.
pub fn signed_part(header: &Header, features: &[Feature]) -> anyhow::Result<Vec<u8>> {
    let mut out = header.encode()?;
    for feature in features {
        ensure!(feature.tag != SIGNATURE_TAG, "tag 0xFF is the signature's");
        out.push(feature.tag);
        write_length(&mut out, feature.value.len())?;
        out.extend_from_slice(&feature.value);
    }
    Ok(out)
}

/// The whole seal, signed by `key` with ECDSA P-256 and SHA-256. The signature is
/// deterministic (RFC 6979): the same document and key always give the same seal.
pub fn sign(header: &Header, features: &[Feature], key: &SigningKey) -> anyhow::Result<Vec<u8>> {
    let mut out = signed_part(header, features)?;
    let signature: Signature = key.sign(&out);
    let raw = signature.to_bytes();
    out.push(SIGNATURE_TAG);
    write_length(&mut out, raw.len())?;
    out.extend_from_slice(&raw);
    Ok(out)
}

impl Seal {
    /// Reads a seal's bytes: header, features and signature, without checking the signature.
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Seal> {
        let (header, mut at) = Header::parse(bytes)?;
        let mut features = Vec::new();
        loop {
            let tag = *bytes.get(at).context("the seal has no signature")?;
            let signed_end = at;
            at += 1;
            let length = read_length(bytes, &mut at)?;
            let value = bytes.get(at..at + length).context("a feature is cut short")?.to_vec();
            at += length;
            if tag == SIGNATURE_TAG {
                ensure!(at == bytes.len(), "bytes follow the signature");
                return Ok(Seal { header, features, signature: value, signed: bytes[..signed_end].to_vec() });
            }
            features.push(Feature { tag, value });
        }
    }

    /// The value of the feature `tag`, if the seal has it.
    pub fn feature(&self, tag: u8) -> Option<&[u8]> {
        self.features.iter().find(|f| f.tag == tag).map(|f| f.value.as_slice())
    }

    /// Whether `key` signed this seal.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        Signature::from_slice(&self.signature).is_ok_and(|signature| key.verify(&self.signed, &signature).is_ok())
    }
}

#[cfg(test)]
mod tests;
