//! Payments: the payment provider reports each payment for a case's fee. A report is
//! authenticated by an HMAC-SHA256 of its raw body under the shared secret, names the case it
//! pays for (a body signed for one case pays no other), is recorded once per transaction id (a
//! replay gets the first answer and records nothing new), and must be in the fee's currency and
//! no more than what is outstanding. A case refused, withdrawn or revoked takes no payment.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::engine::{self, Actor, Audit};
use super::{Error, Result};
use crate::config::Config;
use crate::db::fees::{self, CaseFeeRow, PaymentRow};
use crate::db::{self, AnyConnection, Db, cases};
use crate::domain::FieldError;
use crate::domain::service::Fee;
use crate::domain::status::CaseStatus;
use crate::notify;
use std::sync::Arc;

/// The header that carries the signature: `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Signature";

/// A payment as the provider reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The case paid for: the signed body names it, so it cannot be replayed for another case.
    pub case_id: String,
    /// The provider's transaction id; a repeat is a replay.
    pub transaction_id: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// `succeeded` or `failed`; only succeeded payments count towards the fee.
    pub status: String,
}

/// The answer to a report, kept to answer replays identically.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    /// The case paid for.
    pub case_id: String,
    /// The provider's transaction id.
    pub transaction_id: String,
    /// The payment's status as reported.
    pub status: String,
    /// The fee after the payment.
    pub fee: Value,
}

/// Checks `header` (`sha256=<hex>`) against the HMAC-SHA256 of `body` under `key`, in constant
/// time. A missing, malformed or wrong signature is unauthenticated.
pub fn verify_signature(key: &[u8], body: &[u8], header: Option<&str>) -> Result<()> {
    let refused = || Error::Unauthenticated(format!("{SIGNATURE_HEADER} must be sha256=<hex HMAC-SHA256 of the body>"));
    let hex_digest = header.and_then(|h| h.trim().strip_prefix("sha256=")).ok_or_else(refused)?;
    let digest = hex::decode(hex_digest).map_err(|_| refused())?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| refused())?;
    mac.update(body);
    mac.verify_slice(&digest).map_err(|_| refused())
}

fn check(report: &Report) -> Result<()> {
    let mut problems = Vec::new();
    let id = &report.transaction_id;
    if id.is_empty() || id.len() > 100 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        problems.push(FieldError::new("transaction_id", "invalid", "1 to 100 characters of A-Z, a-z, 0-9 and -_.:"));
    }
    if report.amount_minor <= 0 {
        problems.push(FieldError::new("amount_minor", "wrong_amount", "a positive amount in minor units"));
    }
    if report.currency.len() != 3 || !report.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        problems.push(FieldError::new("currency", "invalid", "an ISO 4217 code such as EUR"));
    }
    if !["succeeded", "failed"].contains(&report.status.as_str()) {
        problems.push(FieldError::new("status", "invalid", "succeeded or failed"));
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
}

fn fee_json(fee: &CaseFeeRow) -> Value {
    serde_json::json!({
        "amount_minor": fee.amount_minor, "currency": fee.currency,
        "paid_minor": fee.paid_minor, "outstanding_minor": fee.outstanding_minor(),
    })
}

/// Where a payment report comes from.
#[derive(Debug, Clone)]
pub struct Source {
    /// `callback` (the signed callback), `test`, `stripe`, or `counter`.
    pub provider: &'static str,
    /// How it was paid, where known (`cash`, `card`, `transfer` at the counter).
    pub method: Option<String>,
    /// Who reports it: the system for providers, the officer at the counter.
    pub actor: Actor,
}

impl Source {
    /// A report of a payment provider.
    pub fn provider(provider: &'static str) -> Source {
        Source { provider, method: None, actor: Actor::system() }
    }
}

/// Records a payment report for case `case_id`; `body` is the raw body the signature covered.
/// The payment, the new amount paid and the case's audit event land together.
pub async fn record(
    db: &Db,
    config: Arc<Config>,
    case_id: String,
    report: Report,
    body: &[u8],
    request_id: String,
) -> Result<Receipt> {
    check(&report)?;
    let body_sha256 = hex::encode(Sha256::digest(body));
    let audit = Audit::for_request(request_id);
    let source = Source::provider("callback");
    db.write(move |conn| record_in(conn, &config, &case_id, &report, body_sha256, &source, audit)).await
}

/// Records a checked payment report in the caller's transaction: once per transaction id (a
/// replay of the same report answers as the first did), in the fee's currency, no more than is
/// outstanding, for a case that still takes payments. A succeeded payment e-mails its receipt.
pub(crate) fn record_in(
    conn: &mut AnyConnection,
    config: &Config,
    case_id: &str,
    report: &Report,
    body_sha256: String,
    source: &Source,
    audit: Audit,
) -> Result<Receipt> {
    let case = cases::find(conn, case_id)?.ok_or(Error::NotFound)?;
    if report.case_id != case.id {
        return Err(Error::invalid_field("case_id", "wrong_case", "the report is for another case"));
    }
    let fee = fees::lock(conn, &case.id)?.ok_or(Error::NotFound)?;
    if let Some(earlier) = fees::find_payment(conn, &report.transaction_id)? {
        if earlier.case_id == case.id && earlier.body_sha256 == body_sha256 {
            return Ok(serde_json::from_str(&earlier.answer)?);
        }
        return Err(Error::Conflict(format!(
            "transaction {} was reported with different details",
            report.transaction_id
        )));
    }
    if !case.status.takes_payment() {
        return Err(Error::Conflict(format!("a case that is {} takes no payment", case.status)));
    }
    if report.currency != fee.currency {
        return Err(Error::invalid_field(
            "currency",
            "wrong_currency",
            format!("the fee is charged in {}", fee.currency),
        ));
    }
    let succeeded = report.status == "succeeded";
    if succeeded && report.amount_minor > fee.outstanding_minor() {
        return Err(Error::invalid_field(
            "amount_minor",
            "wrong_amount",
            format!("{} {} is outstanding", fee.outstanding_minor(), fee.currency),
        ));
    }
    let paid = if succeeded { report.amount_minor } else { 0 };
    fees::add_paid(conn, &case.id, paid)?;
    let after = CaseFeeRow { paid_minor: fee.paid_minor + paid, ..fee };
    let receipt = Receipt {
        case_id: case.id.clone(),
        transaction_id: report.transaction_id.clone(),
        status: report.status.clone(),
        fee: fee_json(&after),
    };
    let now = db::now();
    fees::insert_payment(
        conn,
        &PaymentRow {
            transaction_id: report.transaction_id.clone(),
            case_id: case.id.clone(),
            amount_minor: report.amount_minor,
            currency: report.currency.clone(),
            status: report.status.clone(),
            body_sha256,
            answer: serde_json::to_string(&receipt)?,
            received_at: now,
            provider: source.provider.to_owned(),
            method: source.method.clone(),
        },
    )
    .map_err(|err| match db::is_unique_violation(&err) {
        true => Error::Conflict(format!("transaction {} was already reported", report.transaction_id)),
        false => err.into(),
    })?;
    let mut details = serde_json::json!({
        "transaction_id": report.transaction_id, "amount_minor": report.amount_minor,
        "currency": report.currency, "status": report.status,
    });
    if source.provider != "callback" {
        details["provider"] = serde_json::json!(source.provider);
    }
    if let Some(method) = &source.method {
        details["method"] = serde_json::json!(method);
    }
    let audit = audit.with_details(details);
    engine::record(conn, &case.id, "payment", Some(case.status), case.status, &source.actor, &audit, now)?;
    if succeeded && case.status == CaseStatus::Approved && after.outstanding_minor() == 0 {
        // A document issued only once paid goes now (issuers never issue twice).
        db::jobs::enqueue(conn, db::jobs::JobKind::IssueOutput, &case.id, now)?;
    }
    if succeeded {
        let amount = Fee { amount_minor: report.amount_minor, currency: report.currency.clone() };
        let context = serde_json::json!({
            "amount": format!("{} {}", amount.decimal(), amount.currency),
            "provider_reference": report.transaction_id,
            "paid_at": now.format("%d.%m.%Y %H:%M UTC").to_string(),
            "outstanding": format!("{} {}", Fee { amount_minor: after.outstanding_minor(), currency: after.currency.clone() }.decimal(), after.currency),
        });
        notify::case_event(conn, config, &case, "payment_received", context, None)?;
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(key: &[u8], body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn only_the_hmac_of_the_exact_body_under_the_shared_key_is_accepted() {
        let body = br#"{"transaction_id":"t1"}"#;
        assert!(verify_signature(b"secret", body, Some(&sign(b"secret", body))).is_ok());
        for header in [None, Some("sha256=zz"), Some("md5=00"), Some(sign(b"other", body).as_str())] {
            assert!(matches!(verify_signature(b"secret", body, header), Err(Error::Unauthenticated(_))), "{header:?}");
        }
        let tampered = br#"{"transaction_id":"t2"}"#;
        assert!(verify_signature(b"secret", tampered, Some(&sign(b"secret", body))).is_err());
    }

    #[test]
    fn reports_are_checked_field_by_field() {
        let report = Report {
            case_id: "c".into(),
            transaction_id: "a b".into(),
            amount_minor: 0,
            currency: "eur".into(),
            status: "ok".into(),
        };
        let Err(Error::Invalid(problems)) = check(&report) else { panic!("accepted") };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["transaction_id", "amount_minor", "currency", "status"]);
    }
}
