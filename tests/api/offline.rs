//! The offline kit as a border post uses it: the signed trust list and revocation file downloaded
//! once, then `evisa check` on an e-visa PDF, its seal's bytes, a scan of its QR code and its
//! token, with no network; a revocation reaches the next revocation file; tampered documents and
//! files, and a CA other than the one pinned, are refused with the reason.

use crate::backend_tests;
use crate::checkers::tool;
use crate::verification::{client, valid_visa};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// Runs `evisa check` on `input` with the files in `dir`; (exit code, what it printed).
fn check(dir: &Path, input: &str, extra: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_evisa"))
        .arg("check")
        .arg(input)
        .arg("--trust-list")
        .arg(dir.join("trust-list.jws"))
        .args(extra)
        .env_clear()
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

/// The payload of a compact JWS.
fn payload(jws: &str) -> Value {
    let part = jws.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A published file, once it names `wanted` (polled: publication follows the change).
async fn published(app: &crate::helpers::TestApp, path: &str, key: Option<&str>, wanted: &str) -> String {
    crate::wait::until(&format!("{path} naming {wanted}"), crate::wait::BACKGROUND, || async {
        let response = app.request(Method::GET, path, key, None).await;
        if response.status() != StatusCode::OK {
            return None;
        }
        assert_eq!(response.headers()["content-type"], "application/jose");
        Some(response.text().await.unwrap()).filter(|jws| payload(jws).to_string().contains(wanted))
    })
    .await
}

backend_tests! {
    async fn a_border_post_checks_e_visas_offline_against_the_signed_kit(app: TestApp) {
        if !tool("pdftoppm", &["-v"]) {
            return;
        }
        let (holder, id, number) = valid_visa(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        let pdf = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &holder.token).await.bytes().await.unwrap();
        std::fs::write(path("visa.pdf"), &pdf).unwrap();
        let seal = app.get(&format!("/api/v1/applications/{id}/evisa.seal"), &holder.token).await.bytes().await.unwrap();
        std::fs::write(path("visa.seal"), &seal).unwrap();
        // What a scanner sees: the QR code's corner of the page at 300 dpi.
        let mut render = Command::new("pdftoppm");
        render.args(["-r", "300", "-png", "-singlefile"]).arg(path("visa.pdf")).arg(path("page"));
        crate::checkers::run(&mut render);
        let px = |mm: f64| (mm / 25.4 * 300.0) as u32;
        image::open(path("page.png")).unwrap().crop_imm(px(132.0), px(44.0), px(66.0), px(66.0)).save(path("qr.png")).unwrap();

        // Downloaded once: the trust list (public) and the revocation file (an API client's).
        let trust = published(&app, "/api/v1/offline/trust-list", None, "UTVS").await;
        let listed = payload(&trust);
        assert_eq!(listed["iss"], "UTO");
        assert!(listed["exp"].as_i64().unwrap() > listed["iat"].as_i64().unwrap());
        assert!(listed["signers"][0]["uses"].to_string().contains("seal"), "{listed}");
        std::fs::write(path("trust-list.jws"), &trust).unwrap();
        let (_, key) = client(&app, &["revocations"]).await;
        let (_, verify_only) = client(&app, &["verify"]).await;
        assert_eq!(app.request(Method::GET, "/api/v1/offline/revocations", Some(&verify_only), None).await.status(), StatusCode::FORBIDDEN);
        let revocations = published(&app, "/api/v1/offline/revocations", Some(&key), "revoked").await;
        std::fs::write(path("revocations.jws"), &revocations).unwrap();
        let with_revocations = ["--revocations", &path("revocations.jws")];

        // The PDF (its seal and its QR token), the seal's bytes, a scan, the token itself.
        let (code, said) = check(dir.path(), &path("visa.pdf"), &with_revocations);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("seal signed by UTVS") && said.contains("QR token signed by key") && said.contains(&number), "{said}");
        assert!(said.contains("not in the revocation file") && said.ends_with("result: valid\n"), "{said}");
        let (code, said) = check(dir.path(), &path("visa.seal"), &with_revocations);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains(&format!("visa {number}")), "{said}");
        let (code, said) = check(dir.path(), &path("qr.png"), &with_revocations);
        assert_eq!(code, 0, "{said}");
        let token = said.lines().find(|l| l.starts_with("visa ")).map(str::to_owned);
        assert!(token.is_some_and(|t| t.contains(&number)), "{said}");

        // The CA pinned: the right one holds, another is refused.
        let ca = listed["signers"][0]["ca_certificate"].as_str().unwrap();
        std::fs::write(path("ca.pem"), ca).unwrap();
        assert_eq!(check(dir.path(), &path("visa.seal"), &["--ca", &path("ca.pem")]).0, 0);
        let other = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=Another CA", "-days", "1", "-keyout"])
            .arg(path("other.key"))
            .arg("-out")
            .arg(path("other.pem"))
            .output()
            .unwrap();
        assert!(other.status.success());
        let (code, said) = check(dir.path(), &path("visa.seal"), &["--ca", &path("other.pem")]);
        assert_eq!(code, 2, "{said}");
        assert!(said.contains("CA other than the one trusted"), "{said}");

        // Tampering is found, and said.
        let mut forged = seal.to_vec();
        forged[50] ^= 0x01; // inside the MRZ
        std::fs::write(path("forged.seal"), &forged).unwrap();
        let (code, said) = check(dir.path(), &path("forged.seal"), &[]);
        assert_eq!(code, 2, "{said}");
        assert!(said.contains("signature does not verify"), "{said}");
        let mut parts: Vec<String> = trust.split('.').map(str::to_owned).collect();
        let mut changed = payload(&trust);
        changed["exp"] = json!(changed["exp"].as_i64().unwrap() + 86_400 * 365);
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(changed.to_string());
        std::fs::write(path("trust-list.jws"), parts.join(".")).unwrap();
        let (code, said) = check(dir.path(), &path("visa.seal"), &[]);
        assert_eq!(code, 2, "{said}");
        assert!(said.contains("trust list: its signature does not verify"), "{said}");
        std::fs::write(path("trust-list.jws"), &trust).unwrap();

        // A revocation reaches the next revocation file, and the check says so.
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let revoked = app.post(&format!("/api/v1/visas/{number}/revoke"), &supervisor.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]})).await;
        assert_eq!(revoked.status(), StatusCode::OK);
        let revocations = published(&app, "/api/v1/offline/revocations", Some(&key), &number).await;
        std::fs::write(path("revocations.jws"), &revocations).unwrap();
        let (code, said) = check(dir.path(), &path("visa.pdf"), &with_revocations);
        assert_eq!(code, 1, "{said}");
        assert!(said.ends_with("result: revoked\n"), "{said}");
        // Without a revocation file, the check says what it could not check.
        let (_, said) = check(dir.path(), &path("visa.seal"), &[]);
        assert!(said.contains("revocations not checked"), "{said}");
    }
}
