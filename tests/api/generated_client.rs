//! The verification flows through a client generated from `openapi.yaml` by a standard generator
//! (PyPI `openapi-python-client`): by number, by token, the seal and its signers, the revocation
//! feed with and without `since`, the offline kit, and a holder's share code (made, checked right
//! and wrong, listed with its checks, cancelled). Every answer is parsed into the generated
//! models and an undocumented status raises, so the spec and the server cannot drift apart.

use crate::backend_tests;
use crate::checkers::{python_module, run, tool};
use crate::verification::{client, valid_visa};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;

/// Runs the flows with the generated package (argv 1: the directory holding it) against the
/// server; prints what it found as JSON.
const FLOWS: &str = r#"
import sys, json, datetime
sys.path.insert(0, sys.argv[1])
from evisa_client import AuthenticatedClient, Client
from evisa_client.api.verification import verify_by_number, verify_by_token, revocations, offline_trust_list, offline_revocations
from evisa_client.api.visas import seal_signers, download_evisa_seal
from evisa_client.api.share_codes import create_share_code, list_share_codes, cancel_share_code, check_share_code
from evisa_client.models import VerifyByNumberBody, VerifyByTokenBody, CheckAnswer, RevocationsResponse200, SealSignersResponse200
from evisa_client.models import CreateShareCodeBody, CheckShareCodeBody, ShareCode, ShareCodeCheckAnswer, SharePurpose, ListShareCodesResponse200
base, key, holder, case_id, number, passport, token = sys.argv[2:9]
api = AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)
own = AuthenticatedClient(base_url=base, token=holder, raise_on_unexpected_status=True)
public = Client(base_url=base, raise_on_unexpected_status=True)
# The generator reads no application/jose body: the offline kit's files are taken as bytes.
raw = Client(base_url=base)
raw_api = AuthenticatedClient(base_url=base, token=key)
out = {}
def check(answer):
    assert isinstance(answer, CheckAnswer), answer
    return answer.to_dict()
out["number"] = check(verify_by_number.sync(client=api, body=VerifyByNumberBody(visa_number=number, passport_number=passport)))
out["wrong_passport"] = check(verify_by_number.sync(client=api, body=VerifyByNumberBody(visa_number=number, passport_number="X0000000")))
out["token"] = check(verify_by_token.sync(client=api, body=VerifyByTokenBody(token=token)))
signers = seal_signers.sync(client=public)
assert isinstance(signers, SealSignersResponse200), signers
out["signers"] = [s.to_dict() for s in signers.signers]
seal = download_evisa_seal.sync_detailed(client=own, id=case_id)
out["seal"] = {"status": int(seal.status_code), "hex": seal.content.hex()}
feed = revocations.sync(client=api)
assert isinstance(feed, RevocationsResponse200), feed
out["feed"] = feed.to_dict()
later = revocations.sync(client=api, since=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1))
assert isinstance(later, RevocationsResponse200), later
out["feed_later"] = later.to_dict()
trust = offline_trust_list.sync_detailed(client=raw)
out["trust_list"] = {"status": int(trust.status_code), "type": trust.headers.get("content-type")}
revoked = offline_revocations.sync_detailed(client=raw_api)
out["revocation_file"] = {"status": int(revoked.status_code), "type": revoked.headers.get("content-type")}
made = create_share_code.sync(client=own, body=CreateShareCodeBody(case_id=case_id, purpose=SharePurpose.STUDY, valid_days=30))
assert isinstance(made, ShareCode), made
born = datetime.date(1990, 2, 15)
def share_check(code, day):
    answer = check_share_code.sync(client=public, body=CheckShareCodeBody(code=code, date_of_birth=day))
    assert isinstance(answer, ShareCodeCheckAnswer), answer
    return answer.to_dict()
out["share_right"] = share_check(made.code, born)
out["share_wrong"] = share_check(made.code, born + datetime.timedelta(days=1))
listed = list_share_codes.sync(client=own)
assert isinstance(listed, ListShareCodesResponse200), listed
out["share_listed"] = listed.to_dict()
cancelled = cancel_share_code.sync(client=own, id=made.id)
assert isinstance(cancelled, ShareCode), cancelled
out["share_cancelled"] = share_check(made.code, born)
print(json.dumps(out, default=str))
"#;

backend_tests! {
    async fn a_client_generated_from_the_spec_runs_the_verification_flows(app: TestApp) {
        if !(tool("openapi-python-client", &["--version"]) && tool("pdftoppm", &["-v"]) && tool("zbarimg", &["--version"]) && python_module("jwt")) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
        let mut generate = Command::new("openapi-python-client");
        generate.args(["generate", "--meta", "none", "--path", spec, "--output-path"]).arg(dir.path().join("evisa_client"));
        run(&mut generate);

        let (holder, id, number) = valid_visa(&app).await;
        let (_, key) = client(&app, &["verify", "revocations"]).await;
        let pdf = app.get(&format!("/api/v1/applications/{id}/evisa.pdf"), &holder.token).await.bytes().await.unwrap();
        let jwks = app.request(reqwest::Method::GET, "/.well-known/jwks.json", None, None).await.text().await.unwrap();
        let (token, _) = crate::checkers::qr_claims(dir.path(), &pdf, &jwks, "token");
        // The kit is published by the node's signer: wait for it as a border post would.
        crate::wait::until("the trust list", crate::wait::BACKGROUND, || async {
            let published = app.request(reqwest::Method::GET, "/api/v1/offline/trust-list", None, None).await;
            (published.status() == StatusCode::OK).then_some(())
        })
        .await;
        // Revoked before the flows, so that the feed has an item to parse.
        let (_, _, other) = valid_visa(&app).await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let revoked = app.post(&format!("/api/v1/visas/{other}/revoke"), &supervisor.token, &json!({"grounds": ["CONDITIONS_NO_LONGER_MET"]})).await;
        assert_eq!(revoked.status(), StatusCode::OK);

        let mut flows = Command::new("python3");
        flows.args(["-c", FLOWS]).arg(dir.path()).args([&app.address, &key, &holder.token, &id, &number, "123456789", &token]);
        let found: Value = serde_json::from_str(&run(&mut flows)).unwrap();
        assert_eq!(found["number"]["result"], "valid", "{found}");
        assert_eq!(found["number"]["visa_number"], number.as_str());
        assert_eq!(found["wrong_passport"]["result"], "not_found");
        assert!(found["wrong_passport"].get("visa").is_none(), "a wrong passport discloses nothing");
        assert_eq!(found["token"]["result"], "valid");
        assert_eq!(found["seal"]["status"], 200);
        let seal = hex::decode(found["seal"]["hex"].as_str().unwrap()).unwrap();
        let header = evisa::issuance::kit::seal::Seal::parse(&seal).unwrap().header;
        let named = found["signers"].as_array().unwrap().iter().any(|s| s["certificate_reference"] == header.certificate_reference.as_str());
        assert!(named, "the seal's signer is published: {found}");
        let items = found["feed"]["items"].as_array().unwrap();
        assert!(items.iter().any(|i| i["visa_number"] == other.as_str()), "the feed without since: {found}");
        assert_eq!(found["feed_later"]["items"], json!([]), "the feed since tomorrow");
        assert_eq!(found["trust_list"], json!({"status": 200, "type": "application/jose"}));
        assert_eq!(found["revocation_file"], json!({"status": 200, "type": "application/jose"}));
        assert_eq!((found["share_right"]["result"].as_str(), found["share_right"]["purpose"].as_str()), (Some("valid"), Some("study")), "{found}");
        assert_eq!(found["share_right"]["document"]["service"], "TOURIST");
        assert_eq!(found["share_wrong"]["result"], "not_found");
        let outcomes: Vec<&str> = found["share_listed"]["items"][0]["checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["wrong_birth_date", "shown"], "the holder sees both checks, newest first");
        assert_eq!(found["share_cancelled"]["result"], "not_found");
    }
}
