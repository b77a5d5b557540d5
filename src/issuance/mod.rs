//! Issuing e-visas: signing keys, the QR token, the PDF with its machine readable zone, the PDF's
//! digital signature, and the worker that turns approved cases into issued visas exactly once.

pub mod issue;
pub mod keyring;
pub mod keys;
pub mod pdf;
pub mod pdf_signature;
pub mod token;
pub mod worker;
