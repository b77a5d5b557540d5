//! The e-visa: the visa application form and its rules, the grant of an approval, signing keys,
//! the QR token, the PDF with its machine readable zone, the PDF's digital signature, and the
//! issuing of approved cases exactly once.

pub mod form;
pub mod grant;
pub mod issue;
pub mod keyring;
pub mod keys;
pub mod pdf;
pub mod pdf_signature;
pub mod rules;
pub mod token;
