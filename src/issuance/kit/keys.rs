//! Document-signer keys and certificates: a development country signing CA and signers made on
//! first start, keys loaded from configured PEM files, and the JWK form of their public halves.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use der::{Decode, DecodePem, Encode, EncodePem};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

/// A document signer ready to sign: its private key and its certificate chain.
pub struct Signer {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The private key.
    pub key: SigningKey,
    /// The signer certificate.
    pub certificate: Certificate,
    /// The country signing CA certificate.
    pub ca_certificate: Certificate,
    /// Whether this is a generated development key (documents then say SPECIMEN).
    pub development: bool,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).field("development", &self.development).finish_non_exhaustive()
    }
}

/// The RFC 7638 JWK thumbprint of a P-256 public key, base64url.
pub fn thumbprint(key: &VerifyingKey) -> String {
    let (x, y) = coordinates(key);
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn coordinates(key: &VerifyingKey) -> (String, String) {
    let point = key.to_encoded_point(false);
    let x = point.x().map(|x| URL_SAFE_NO_PAD.encode(x)).unwrap_or_default();
    let y = point.y().map(|y| URL_SAFE_NO_PAD.encode(y)).unwrap_or_default();
    (x, y)
}

/// The public JWK of a certificate's key, with its chain in `x5c`.
pub fn jwk(kid: &str, certificate_pem: &str, ca_certificate_pem: &str) -> anyhow::Result<serde_json::Value> {
    let certificate = Certificate::from_pem(certificate_pem)?;
    let ca = Certificate::from_pem(ca_certificate_pem)?;
    let spki_der = certificate.tbs_certificate.subject_public_key_info.to_der()?;
    let key = VerifyingKey::from_public_key_der(&spki_der).context("signer key is not P-256")?;
    let (x, y) = coordinates(&key);
    Ok(serde_json::json!({
        "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig",
        "x5c": [STANDARD.encode(certificate.to_der()?), STANDARD.encode(ca.to_der()?)],
    }))
}

fn serial() -> anyhow::Result<SerialNumber> {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero octet
    Ok(SerialNumber::new(&bytes)?)
}

fn spki(key: &SigningKey) -> anyhow::Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned::from_der(key.verifying_key().to_public_key_der()?.as_bytes())?)
}

/// A self-signed country signing CA certificate.
pub fn make_ca(key: &SigningKey, state: &str, state_name: &str, years: u64) -> anyhow::Result<Certificate> {
    let subject = Name::from_str(&format!(
        "CN={state_name} Country Signing CA (development),O={state_name},C={}",
        &state[..2.min(state.len())]
    ))?;
    let validity = Validity::from_now(Duration::from_secs(years * 365 * 86_400))?;
    let builder = CertificateBuilder::new(Profile::Root, serial()?, validity, subject, spki(key)?, key)?;
    Ok(builder.build::<DerSignature>()?)
}

/// A document-signer certificate for `signer`, issued by the CA.
pub fn make_signer_certificate(
    signer: &SigningKey,
    ca_key: &SigningKey,
    ca: &Certificate,
    common_name: &str,
    years: u64,
) -> anyhow::Result<Certificate> {
    let issuer = ca.tbs_certificate.subject.clone();
    let subject = Name::from_str(&format!("CN={common_name}"))?;
    let validity = Validity::from_now(Duration::from_secs(years * 365 * 86_400))?;
    let profile = Profile::Leaf { issuer, enable_key_agreement: false, enable_key_encipherment: false };
    let builder = CertificateBuilder::new(profile, serial()?, validity, subject, spki(signer)?, ca_key)?;
    Ok(builder.build::<DerSignature>()?)
}

/// A certificate signing request for a new signer key, for a real CA to sign.
pub fn make_request(signer: &SigningKey, common_name: &str) -> anyhow::Result<String> {
    let subject = Name::from_str(&format!("CN={common_name}"))?;
    let builder = x509_cert::builder::RequestBuilder::new(subject, signer)?;
    let request = builder.build::<DerSignature>()?;
    Ok(request.to_pem(LineEnding::LF)?)
}

/// Writes a private key as PKCS#8 PEM, readable by its owner only.
pub fn save_key(path: &Path, key: &SigningKey) -> anyhow::Result<()> {
    let pem = key.to_pkcs8_pem(LineEnding::LF)?;
    write_private(path, pem.as_bytes())
}

/// Reads a PKCS#8 PEM private key.
pub fn load_key(path: &Path) -> anyhow::Result<SigningKey> {
    let pem = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    SigningKey::from_pkcs8_pem(&pem).with_context(|| format!("{} is not a PKCS#8 P-256 key", path.display()))
}

/// Where development keys live.
pub fn dev_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("keys")
}

/// The development CA under the data directory, made on first use.
pub fn dev_ca(data_dir: &Path, state: &str, state_name: &str) -> anyhow::Result<(SigningKey, Certificate)> {
    let dir = dev_dir(data_dir);
    let key_path = dir.join("dev-csca.key.pem");
    let cert_path = dir.join("dev-csca.cert.pem");
    if key_path.exists() && cert_path.exists() {
        let key = load_key(&key_path)?;
        let cert = Certificate::from_pem(std::fs::read_to_string(&cert_path)?)?;
        return Ok((key, cert));
    }
    std::fs::create_dir_all(&dir)?;
    let key = SigningKey::random(&mut rand_core_06::OsRng);
    let cert = make_ca(&key, state, state_name, 10)?;
    save_key(&key_path, &key)?;
    std::fs::write(&cert_path, cert.to_pem(LineEnding::LF)?)?;
    Ok((key, cert))
}

/// A new development signer issued by the development CA; returns it with its key file.
pub fn new_dev_signer(data_dir: &Path, state: &str, state_name: &str) -> anyhow::Result<(Signer, PathBuf)> {
    let (ca_key, ca) = dev_ca(data_dir, state, state_name)?;
    let key = SigningKey::random(&mut rand_core_06::OsRng);
    let kid = thumbprint(key.verifying_key());
    let certificate =
        make_signer_certificate(&key, &ca_key, &ca, &format!("{state_name} e-visa document signer (development)"), 3)?;
    let key_path = dev_dir(data_dir).join(format!("signer-{kid}.key.pem"));
    save_key(&key_path, &key)?;
    Ok((Signer { kid, key, certificate, ca_certificate: ca, development: true }, key_path))
}

/// Loads a signer from its key file and certificates, checking that they belong together.
pub fn load_signer(key_file: &Path, certificate_pem: &str, ca_pem: &str, development: bool) -> anyhow::Result<Signer> {
    let key = load_key(key_file)?;
    let certificate = Certificate::from_pem(certificate_pem).context("signer certificate")?;
    let ca_certificate = Certificate::from_pem(ca_pem).context("CA certificate")?;
    let certified = certificate.tbs_certificate.subject_public_key_info.to_der()?;
    if certified != key.verifying_key().to_public_key_der()?.as_bytes() {
        bail!("the certificate does not certify the key in {}", key_file.display());
    }
    if certificate.tbs_certificate.issuer != ca_certificate.tbs_certificate.subject {
        bail!("the signer certificate was not issued by the given CA certificate");
    }
    let kid = thumbprint(key.verifying_key());
    Ok(Signer { kid, key, certificate, ca_certificate, development })
}

impl Signer {
    /// The signer certificate as PEM.
    pub fn certificate_pem(&self) -> anyhow::Result<String> {
        Ok(self.certificate.to_pem(LineEnding::LF)?)
    }

    /// The CA certificate as PEM.
    pub fn ca_certificate_pem(&self) -> anyhow::Result<String> {
        Ok(self.ca_certificate.to_pem(LineEnding::LF)?)
    }

    /// The key in PKCS#8 PEM, for the JWS library.
    pub fn pkcs8_pem(&self) -> anyhow::Result<p256::elliptic_curve::zeroize::Zeroizing<String>> {
        Ok(self.key.to_pkcs8_pem(LineEnding::LF)?)
    }
}

/// Writes a file that only its owner may read.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dev_signer_chains_to_the_dev_ca_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, key_path) = new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
        let reloaded =
            load_signer(&key_path, &signer.certificate_pem().unwrap(), &signer.ca_certificate_pem().unwrap(), true)
                .unwrap();
        assert_eq!(reloaded.kid, signer.kid);
        assert_eq!(signer.certificate.tbs_certificate.issuer, signer.ca_certificate.tbs_certificate.subject);
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
        // A second signer shares the CA but not the key.
        let (other, _) = new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
        assert_ne!(other.kid, signer.kid);
        assert_eq!(other.ca_certificate, signer.ca_certificate);
        let mismatched =
            load_signer(&key_path, &other.certificate_pem().unwrap(), &other.ca_certificate_pem().unwrap(), true);
        assert!(mismatched.is_err());
    }

    #[test]
    fn jwks_carry_the_chain_and_the_thumbprint() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = new_dev_signer(dir.path(), "UTO", "Republic of Utopia").unwrap();
        let jwk = jwk(&signer.kid, &signer.certificate_pem().unwrap(), &signer.ca_certificate_pem().unwrap()).unwrap();
        assert_eq!(jwk["kid"], signer.kid.as_str());
        assert_eq!(jwk["x5c"].as_array().unwrap().len(), 2);
        assert_eq!(jwk["alg"], "ES256");
    }
}
