//! The outside checkers every test of an issued document runs, in one place: whether a tool or a
//! Python module is installed (in CI a missing one fails the test instead of skipping it),
//! poppler's `pdfsig`, and reading a document's QR token and verifying it with an independent JWT
//! library against the published keys.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Whether an external tool can run; in CI a missing tool fails the test instead of skipping it.
pub(crate) fn tool(name: &str, probe: &[&str]) -> bool {
    let found = Command::new(name)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success() || !o.stderr.is_empty() || !o.stdout.is_empty());
    if !found {
        assert!(std::env::var("CI").is_err(), "CI must install {name} (see .ci/run)");
        eprintln!("{name} is not installed: check skipped outside CI");
    }
    found
}

/// Whether a Python module can be imported; in CI a missing one fails the test.
pub(crate) fn python_module(module: &str) -> bool {
    let found = Command::new("python3").args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success());
    if !found {
        assert!(std::env::var("CI").is_err(), "CI must install the Python module {module} (see .ci/run)");
        eprintln!("Python module {module} is not installed: check skipped outside CI");
    }
    found
}

/// The standard output of a command that must succeed.
pub(crate) fn run(command: &mut Command) -> String {
    let output = command.output().expect("command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// poppler's report on the signatures of `pdf` (written to `dir/name`), trusting the NSS
/// database `nss` when given.
pub(crate) fn pdfsig(dir: &Path, pdf: &[u8], name: &str, nss: Option<&Path>) -> String {
    let file = dir.join(name);
    std::fs::write(&file, pdf).unwrap();
    let mut command = Command::new("pdfsig");
    if let Some(nss) = nss {
        command.arg("-nssdir").arg(format!("sql:{}", nss.display()));
    }
    let output = command.arg(&file).output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether the tools [`qr_claims`] runs are installed.
pub(crate) fn can_read_qr_tokens() -> bool {
    tool("pdftoppm", &["-v"]) && tool("zbarimg", &["--version"]) && python_module("jwt")
}

/// Verifies a token with PyJWT against `jwks` (the published key set, JSON) and prints its
/// claims; `argv[3]` is `visa` to check the registered claims a visa's token carries: it must not
/// verify before its validity begins (`nbf`), and `iat`, `nbf` and `exp` are required.
const VERIFY_TOKEN: &str = r#"
import json, sys, jwt
jwks = json.load(open(sys.argv[1]))
token = sys.argv[2]
kid = jwt.get_unverified_header(token)["kid"]
key = next(k for k in jwks["keys"] if k["kid"] == kid)
public = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(key))
options = {}
if sys.argv[3] == "visa":
    try:
        jwt.decode(token, public, algorithms=["ES256"])
        sys.exit("a visa that starts later must not verify yet")
    except jwt.exceptions.ImmatureSignatureError:
        pass
    options = {"verify_nbf": False, "require": ["iat", "nbf", "exp"]}
print(json.dumps(jwt.decode(token, public, algorithms=["ES256"], options=options)))
"#;

/// The QR token printed on page one of `pdf`, read from a 300 dpi rendering by zbar, and its
/// claims as PyJWT verifies them against `jwks`; `kind` is `visa` for the checks of a visa's
/// registered claims (see [`VERIFY_TOKEN`]), anything else for none.
pub(crate) fn qr_claims(dir: &Path, pdf: &[u8], jwks: &str, kind: &str) -> (String, Value) {
    let file = dir.join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftoppm").args(["-r", "300", "-png", "-singlefile"]).arg(&file).arg(dir.join("page")));
    let token = run(Command::new("zbarimg").args(["--quiet", "--raw"]).arg(dir.join("page.png"))).trim().to_owned();
    let jwks_file = dir.join("jwks.json");
    std::fs::write(&jwks_file, jwks).unwrap();
    let printed = run(Command::new("python3").args(["-c", VERIFY_TOKEN]).arg(&jwks_file).arg(&token).arg(kind));
    (token, serde_json::from_str(&printed).unwrap())
}
