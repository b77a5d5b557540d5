//! Offline verification of an e-visa's QR code, with nothing but the published keys.
//!
//! ```sh
//! curl -s http://127.0.0.1:8080/.well-known/jwks.json -o jwks.json   # once, while online
//! cargo run --example verify_qr -- <token | page.png> jwks.json [revoked.txt]
//! ```
//!
//! Decodes the QR code (from a PNG of the code: a scan, or the QR corner of a page rendering made
//! with `pdftoppm -r 300 -png evisa.pdf`; a whole busy page may not decode), takes the
//! key named by the token's `kid` from the JWKS, verifies the ES256 signature, checks the validity
//! dates against today, and, if a deny-list of revoked visa numbers (one per line, kept from
//! `GET /api/v1/revocations`) is given, that the visa is not on it. Prints the claims and one of
//! valid, not_yet_valid, expired, revoked; exits non-zero for an invalid token or an invalid visa.

use std::process::ExitCode;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};

fn qr_from_png(path: &str) -> Result<String, String> {
    let image = image::open(path).map_err(|e| format!("{path}: {e}"))?;
    // A full page scanned at 300 dpi is large; the detector also gets smaller copies to try.
    for scale in [1, 2, 3, 4] {
        let copy = if scale == 1 {
            image.to_luma8()
        } else {
            image
                .resize(image.width() / scale, image.height() / scale, image::imageops::FilterType::Triangle)
                .to_luma8()
        };
        let mut prepared = rqrr::PreparedImage::prepare(copy);
        for grid in prepared.detect_grids() {
            if let Ok((_, content)) = grid.decode() {
                return Ok(content);
            }
        }
    }
    Err("no readable QR code found in the image".into())
}

fn run() -> Result<&'static str, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, jwks_path, rest @ ..] = args.as_slice() else {
        return Err("usage: verify_qr <token | image.png> <jwks.json> [revoked.txt]".into());
    };
    let token = if input.ends_with(".png") { qr_from_png(input)? } else { input.trim().to_owned() };
    let jwks: JwkSet =
        serde_json::from_str(&std::fs::read_to_string(jwks_path).map_err(|e| format!("{jwks_path}: {e}"))?)
            .map_err(|e| format!("{jwks_path} is not a JWKS: {e}"))?;
    let header = jsonwebtoken::decode_header(&token).map_err(|e| format!("not a JWS: {e}"))?;
    if header.alg != Algorithm::ES256 {
        return Err("e-visa tokens are ES256".into());
    }
    let kid = header.kid.ok_or("the token names no key")?;
    let jwk = jwks.find(&kid).ok_or(format!("no key {kid} in the JWKS: refresh it"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid}: {e}"))?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
        .map_err(|e| format!("signature invalid: {e}"))?
        .claims;
    println!("{}", serde_json::to_string_pretty(&claims).unwrap_or_default());
    let date = |field: &str| {
        claims[field].as_str().and_then(|d| d.parse::<chrono::NaiveDate>().ok()).ok_or(format!("claim {field} missing"))
    };
    let (from, until) = (date("valid_from")?, date("valid_until")?);
    let number = claims["visa_number"].as_str().unwrap_or_default();
    if let Some(list) = rest.first() {
        let revoked = std::fs::read_to_string(list).map_err(|e| format!("{list}: {e}"))?;
        if revoked.lines().any(|line| line.trim() == number) {
            return Ok("revoked");
        }
    }
    let today = chrono::Utc::now().date_naive();
    Ok(if today < from {
        "not_yet_valid"
    } else if today > until {
        "expired"
    } else {
        "valid"
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(result) => {
            println!("result: {result}");
            if result == "valid" { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(message) => {
            eprintln!("invalid: {message}");
            ExitCode::from(2)
        }
    }
}
