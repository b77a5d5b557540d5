//! The signing kit every issued document shares: document-signer keys and the key ring, the QR
//! token, the PDF's digital signature, the visible digital seal, Latin text, numbers, images and
//! drawing primitives. Output kinds use the kit; the kit knows no output kind.

pub mod drawing;
pub mod images;
pub mod keyring;
pub mod keys;
pub mod latin;
pub mod numbers;
pub mod pdf_signature;
pub mod seal;
pub mod token;
