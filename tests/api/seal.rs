//! The visible digital seal on the e-visa, read as a border officer's desk would: the page
//! rendered to an image, the Data Matrix read by an independent reader (zxing-cpp), every field
//! parsed by an independent implementation of ICAO Doc 9303 Part 13 (below, in Python), the MRZ
//! compared with the one printed, and the signature checked with the published certificate
//! (Python's `cryptography`), which must chain to the published CA.

use crate::backend_tests;
use crate::checkers::{python_module, run, tool};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Command;

/// Reads the Data Matrix of a page image (argv 1), parses the seal field by field as the
/// specification's tables say, finds its signer in the published list (argv 2, JSON) by the
/// header's certificate reference, checks the certificate against its CA and the signature
/// against the certificate; prints what it found as JSON.
const READ_SEAL: &str = r#"
import json, sys, datetime
import zxingcpp
from PIL import Image
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

found = [b for b in zxingcpp.read_barcodes(Image.open(sys.argv[1])) if b.format == zxingcpp.BarcodeFormat.DataMatrix]
assert len(found) == 1, f"one Data Matrix on the page, found {len(found)}"
seal = bytes(found[0].bytes)

C40 = {3: " ", **{4 + i: str(i) for i in range(10)}, **{14 + i: chr(65 + i) for i in range(26)}}
def c40(data):
    out = ""
    for i in range(0, len(data), 2):
        if data[i] == 0xFE:
            out += chr(data[i + 1] - 1)
            continue
        v = data[i] * 256 + data[i + 1] - 1
        for u in (v // 1600, (v // 40) % 40, v % 40):
            if u in C40:
                out += C40[u]
            else:
                assert u == 0, f"C40 value {u}"
    return out
def date(b):
    n = int.from_bytes(b, "big")
    return datetime.date(n % 10000, n // 1000000, (n // 10000) % 100).isoformat()
def length(data, at):
    first = data[at]
    if first < 0x80:
        return first, at + 1
    width = first & 0x7F
    return int.from_bytes(data[at + 1:at + 1 + width], "big"), at + 1 + width

out = {"magic": seal[0], "version": seal[1], "issuing_country": c40(seal[2:4])}
lead = c40(seal[4:8])
out["signer"] = lead[:4]
ref_len = int(lead[4:6], 16)
chars = 6 + ref_len
end = 4 + (chars // 3) * 2 + (2 if chars % 3 else 0)
out["certificate_reference"] = c40(seal[4:end])[6:]
out["issue_date"] = date(seal[end:end + 3])
out["signature_date"] = date(seal[end + 3:end + 6])
out["feature_definition"] = seal[end + 6]
out["document_type"] = seal[end + 7]
at = end + 8
features = {}
while True:
    tag = seal[at]
    signed = seal[:at]
    size, value_at = length(seal, at + 1)
    value = seal[value_at:value_at + size]
    at = value_at + size
    if tag == 0xFF:
        signature = value
        break
    features[tag] = value
assert at == len(seal), "nothing after the signature"
out["mrz"] = c40(features[0x01])
out["entries"] = features[0x03][0]
out["duration_of_stay"] = list(features[0x04])
out["passport_number"] = c40(features[0x05])
out["visa_type"] = list(features[0x06])
out["seal_hex"] = seal.hex()

signers = json.load(open(sys.argv[2]))["signers"]
signer = next(s for s in signers if s["certificate_reference"] == out["certificate_reference"] and s["signer_identifier"] == out["signer"])
certificate = x509.load_pem_x509_certificate(signer["certificate"].encode())
ca = x509.load_pem_x509_certificate(signer["ca_certificate"].encode())
assert format(certificate.serial_number, "X") == out["certificate_reference"], "the reference is the serial number"
certificate.verify_directly_issued_by(ca)
assert len(signature) == 64, "r and s of P-256"
der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
certificate.public_key().verify(der, signed, ec.ECDSA(hashes.SHA256()))
out["signature_valid"] = True
try:
    certificate.public_key().verify(der, signed[:-1] + bytes([signed[-1] ^ 1]), ec.ECDSA(hashes.SHA256()))
    out["tampered_valid"] = True
except Exception:
    out["tampered_valid"] = False
print(json.dumps(out))
"#;

backend_tests! {
    async fn the_e_visa_carries_an_icao_seal_that_an_independent_reader_verifies(app: TestApp) {
        if !(tool("pdftoppm", &["-v"]) && tool("pdftotext", &["-v"]) && python_module("zxingcpp")
            && python_module("PIL") && python_module("cryptography")) {
            return;
        }
        let (holder, id, number) = crate::issuance::issued_visa(&app).await;
        let pdf = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &holder.token).await.bytes().await.unwrap();
        let served = app.get(&format!("/api/v1/applications/{id}/evisa.seal"), &holder.token).await;
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(served.headers()["content-type"], "application/octet-stream");
        let served = served.bytes().await.unwrap();
        let signers: Value =
            app.request(reqwest::Method::GET, "/api/v1/seal-signers", None, None).await.json().await.unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("visa.pdf"), &pdf).unwrap();
        std::fs::write(dir.path().join("signers.json"), signers.to_string()).unwrap();
        run(Command::new("pdftoppm").args(["-r", "300", "-png", "-singlefile"]).arg(dir.path().join("visa.pdf")).arg(dir.path().join("page")));
        let read: Value = serde_json::from_str(&run(Command::new("python3")
            .args(["-c", READ_SEAL])
            .arg(dir.path().join("page.png"))
            .arg(dir.path().join("signers.json"))))
        .unwrap();

        // The header, as the tables of Doc 9303 Part 13 and TR-03137 say.
        assert_eq!(read["magic"], 0xDC);
        assert_eq!(read["version"], 3, "version 4");
        assert_eq!(read["issuing_country"], "UTO");
        assert_eq!(read["signer"], "UTVS");
        assert_eq!(read["feature_definition"], 0x5D);
        assert_eq!(read["document_type"], 0x01);
        let visa: Value = app.get(&format!("/api/v1/visas/{number}"), &app.staff("officer", "UTO-HQ").await.token).await.json().await.unwrap();
        assert_eq!(read["issue_date"], visa["issue_date"]);
        assert_eq!(read["signature_date"], visa["issue_date"]);
        // The message zone: the MRZ is the one printed, fillers read as spaces.
        let text = run(Command::new("pdftotext").args(["-layout"]).arg(dir.path().join("visa.pdf")).arg("-"));
        // The second line starts with the visa number, which may itself start with a V.
        let printed: Vec<&str> =
            text.lines().map(str::trim).filter(|l| l.len() == 44 && l.starts_with('V') && !l.starts_with(&number)).collect();
        assert_eq!(printed.len(), 1, "the MRZ's first line: {text}");
        let second = text.lines().map(str::trim).find(|l| l.len() == 44 && l.starts_with(&number)).expect("the MRZ's second line");
        let expected = format!("{}{}", printed[0], &second[..28]).replace('<', " ");
        assert_eq!(read["mrz"], expected);
        assert_eq!(read["entries"], 1, "a single entry");
        assert_eq!(read["duration_of_stay"], serde_json::json!([visa["duration_of_stay_days"], 0, 0]));
        assert_eq!(read["passport_number"].as_str().unwrap().trim_end(), visa["passport_number"].as_str().unwrap());
        assert_eq!(read["visa_type"], serde_json::json!([0, 0, 0, u8::try_from('C').unwrap()]));
        // The signature holds with the published certificate, and only over what was signed.
        assert_eq!(read["signature_valid"], true);
        assert_eq!(read["tampered_valid"], false);
        // The API serves the bytes that are printed.
        assert_eq!(read["seal_hex"], hex::encode(&served));
        // Nobody else gets them.
        let stranger = app.applicant("stranger").await;
        assert_eq!(app.get(&format!("/api/v1/applications/{id}/evisa.seal"), &stranger.token).await.status(), StatusCode::NOT_FOUND);
    }
}
