//! Paying a case's fee: the applicant starts a checkout with the payment provider (a case has at
//! most one open, so two tabs or a double click reach the same), the provider's outcome closes
//! it once, and a succeeded payment is recorded through [`super::payments::record_in`], the
//! path of the signed callback. An officer records a payment taken at the post's counter the
//! same way.

use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::engine::{Actor, Audit, visible_case};
use super::payments::{Report, Source, record_in};
use super::{Applicant, Error, Result, User};
use crate::config::Config;
use crate::db::cases::CaseRow;
use crate::db::checkouts::{self, CheckoutRow};
use crate::db::fees::{self, CaseFeeRow};
use crate::db::{self, AnyConnection, Db};
use crate::domain::FieldError;
use crate::payment_providers::{NewPayment, Outcome, Provider};

/// What a payer needs to pay: the checkout and where its page is.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The checkout.
    pub row: CheckoutRow,
    /// The provider's page for it.
    pub pay_path: String,
}

/// The fee of `case` still to pay, if the case takes payments; a problem otherwise.
fn payable(conn: &mut AnyConnection, case: &CaseRow) -> Result<CaseFeeRow> {
    if !case.status.takes_payment() {
        return Err(Error::Conflict(format!("a case that is {} takes no payment", case.status)));
    }
    let fee = fees::for_case(conn, &case.id)?.ok_or(Error::NotFound)?;
    if fee.outstanding_minor() == 0 {
        return Err(Error::Conflict("nothing is left to pay".into()));
    }
    Ok(fee)
}

/// Starts paying what the applicant's case `case_id` owes, or returns the checkout already open
/// for it (for the same amount).
pub async fn start(db: &Db, provider: &Provider, user: &Applicant, case_id: String) -> Result<Checkout> {
    let user = user.clone();
    let name = provider.name();
    let fresh_id = uuid::Uuid::new_v4().to_string();
    let checkout = db
        .write::<_, crate::app::Error, _>(move |conn| {
            let case = visible_case(conn, &case_id, &user)?;
            let fee = payable(conn, &case)?;
            if let Some(open) = checkouts::open_for_case(conn, &case.id)? {
                if open.amount_minor == fee.outstanding_minor() && open.currency == fee.currency {
                    return Ok(open);
                }
                // The fee changed since: that checkout no longer stands.
                checkouts::close(conn, &open.id, "cancelled", db::now())?;
            }
            Ok(CheckoutRow {
                id: fresh_id,
                case_id: case.id.clone(),
                provider: name.to_owned(),
                provider_ref: String::new(),
                amount_minor: fee.outstanding_minor(),
                currency: fee.currency,
                status: "open".into(),
                created_at: db::now(),
                updated_at: db::now(),
            })
        })
        .await?;
    if !checkout.provider_ref.is_empty() {
        let pay_path = provider.pay_path(&checkout.id);
        return Ok(Checkout { row: checkout, pay_path });
    }
    let started = provider.start(&NewPayment {
        checkout_id: checkout.id.clone(),
        case_id: checkout.case_id.clone(),
        reference: reference(db, &checkout.case_id).await?,
        amount_minor: checkout.amount_minor,
        currency: checkout.currency.clone(),
    });
    let row = CheckoutRow { provider_ref: started.provider_ref, ..checkout };
    let case_id = row.case_id.clone();
    let stored = row.clone();
    let row = db
        .write(move |conn| match checkouts::insert(conn, &stored) {
            Ok(()) => Ok(stored),
            // Another tab opened one meanwhile: that one is the checkout.
            Err(err) if db::is_unique_violation(&err) => Err(Error::Conflict("retry".into())),
            Err(err) => Err(err.into()),
        })
        .await;
    let row = match row {
        Ok(row) => row,
        Err(Error::Conflict(_)) => {
            db.run(move |conn| checkouts::open_for_case(conn, &case_id)?.ok_or(Error::NotFound)).await?
        }
        Err(other) => return Err(other),
    };
    let pay_path = provider.pay_path(&row.id);
    Ok(Checkout { row, pay_path })
}

/// The reference of case `case_id` (shown to the payer and the provider).
pub async fn reference(db: &Db, case_id: &str) -> Result<String> {
    let case_id = case_id.to_owned();
    db.run(move |conn| Ok(crate::db::cases::find(conn, &case_id)?.ok_or(Error::NotFound)?.reference)).await
}

/// The checkout `id` of the case `case_id`, for whoever may see the case.
pub async fn find(db: &Db, user: &User, case_id: String, id: String) -> Result<CheckoutRow> {
    let user = user.clone();
    db.run(move |conn| {
        let case = visible_case(conn, &case_id, &user)?;
        checkouts::find(conn, &id)?.filter(|c| c.case_id == case.id).ok_or(Error::NotFound)
    })
    .await
}

/// The open checkout `id` of the applicant's own case, for its pay page.
pub async fn open_checkout(db: &Db, user: &Applicant, id: String) -> Result<CheckoutRow> {
    let user = user.clone();
    db.run(move |conn| {
        let checkout = checkouts::find(conn, &id)?.ok_or(Error::NotFound)?;
        visible_case(conn, &checkout.case_id, &user)?;
        Ok(checkout)
    })
    .await
}

/// What a provider says of a checkout.
#[derive(Debug, Clone)]
pub struct Settlement {
    /// The provider.
    pub provider: &'static str,
    /// Our checkout.
    pub checkout_id: String,
    /// The provider's id of the payment, once it has one (Stripe's PaymentIntent).
    pub provider_ref: Option<String>,
    /// What became of it.
    pub outcome: Outcome,
    /// The provider's event, when a webhook tells: each is handled once.
    pub event_id: Option<String>,
}

/// Closes a checkout with the provider's outcome, once: a succeeded payment is recorded (its
/// amount and currency must be the checkout's), a declined one is recorded as failed, a
/// cancelled one closes it, a pending one changes nothing. Whichever comes first of the payer's
/// return and the provider's webhook records it; the other finds it closed. Returns the
/// checkout as it stands.
pub async fn settle(db: &Db, config: Arc<Config>, settlement: Settlement, request_id: String) -> Result<CheckoutRow> {
    let Settlement { provider, checkout_id, provider_ref, outcome, event_id } = settlement;
    db.write(move |conn| {
        let mut checkout =
            checkouts::find(conn, &checkout_id)?.filter(|c| c.provider == provider).ok_or(Error::NotFound)?;
        if let Some(event) = &event_id
            && !checkouts::first_sight_of_event(conn, provider, event, db::now())?
        {
            return Ok(checkout);
        }
        if checkout.status != "open" {
            return Ok(checkout);
        }
        if let Some(reference) = provider_ref.filter(|r| !r.is_empty() && *r != checkout.provider_ref) {
            checkouts::set_provider_ref(conn, &checkout.id, &reference)?;
            checkout.provider_ref = reference;
        }
        let (status, report_status) = match &outcome {
            Outcome::Succeeded { amount_minor, currency } => {
                if *amount_minor != checkout.amount_minor || *currency != checkout.currency {
                    return Err(Error::invalid_field(
                        "amount_minor",
                        "wrong_amount",
                        format!("the checkout asked {} {}", checkout.amount_minor, checkout.currency),
                    ));
                }
                ("succeeded", Some("succeeded"))
            }
            Outcome::Declined => ("declined", Some("failed")),
            Outcome::Cancelled => ("cancelled", None),
            Outcome::Pending => return Ok(checkout),
        };
        if let Some(report_status) = report_status {
            let report = Report {
                case_id: checkout.case_id.clone(),
                transaction_id: checkout.provider_ref.clone(),
                amount_minor: checkout.amount_minor,
                currency: checkout.currency.clone(),
                status: report_status.into(),
            };
            let body = serde_json::to_vec(&report)?;
            let body_sha256 = hex::encode(Sha256::digest(&body));
            let audit = Audit::for_request(request_id);
            record_in(conn, &config, &checkout.case_id, &report, body_sha256, &Source::provider(provider), audit)?;
        }
        checkouts::close(conn, &checkout.id, status, db::now())?;
        checkouts::find(conn, &checkout.id)?.ok_or(Error::NotFound)
    })
    .await
}

/// How a payment at the counter was taken.
pub const COUNTER_METHODS: [&str; 3] = ["cash", "card", "transfer"];

/// Records a payment of what case `case_id` owes, taken by `staff` at the post's counter.
pub async fn record_at_counter(
    db: &Db,
    config: Arc<Config>,
    staff: &User,
    case_id: String,
    method: String,
    receipt_number: String,
    request_id: String,
) -> Result<super::payments::Receipt> {
    if !staff.role.handles_cases() {
        return Err(Error::Forbidden("payments at the counter are recorded by the post's staff".into()));
    }
    let mut problems = Vec::new();
    if !COUNTER_METHODS.contains(&method.as_str()) {
        problems.push(FieldError::new("method", "invalid", "cash, card or transfer"));
    }
    let receipt_number = receipt_number.trim().to_owned();
    if receipt_number.is_empty()
        || receipt_number.len() > 40
        || !receipt_number.bytes().all(|b| b.is_ascii_alphanumeric() || b"-/.".contains(&b))
    {
        problems.push(FieldError::new("receipt_number", "invalid", "1 to 40 characters of A-Z, 0-9 and -/."));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let staff = staff.clone();
    db.write(move |conn| {
        let case = visible_case(conn, &case_id, &staff)?;
        let fee = payable(conn, &case)?;
        let report = Report {
            case_id: case.id.clone(),
            transaction_id: format!("counter-{}-{receipt_number}", case.post_code),
            amount_minor: fee.outstanding_minor(),
            currency: fee.currency.clone(),
            status: "succeeded".into(),
        };
        let body_sha256 = hex::encode(Sha256::digest(json!(report).to_string()));
        let source = Source { provider: "counter", method: Some(method), actor: Actor::from(&staff) };
        record_in(conn, &config, &case.id, &report, body_sha256, &source, Audit::for_request(request_id))
    })
    .await
}

/// Pays the open checkout `id` of the applicant's case with the card Stripe.js made into
/// `payment_method`, and records the outcome at once (the webhook that follows finds it closed).
pub async fn pay_by_card(
    db: &Db,
    config: Arc<Config>,
    stripe: &crate::payment_providers::stripe::Stripe,
    user: &Applicant,
    id: String,
    payment_method: String,
    request_id: String,
) -> Result<CheckoutRow> {
    let checkout = open_checkout(db, user, id).await?;
    if checkout.status != "open" {
        return Ok(checkout);
    }
    let payment = NewPayment {
        checkout_id: checkout.id.clone(),
        case_id: checkout.case_id.clone(),
        reference: reference(db, &checkout.case_id).await?,
        amount_minor: checkout.amount_minor,
        currency: checkout.currency.clone(),
    };
    let (provider_ref, outcome) = stripe.pay(&payment, &payment_method).await.map_err(Error::internal)?;
    let settlement = Settlement {
        provider: crate::payment_providers::stripe::NAME,
        checkout_id: checkout.id,
        provider_ref: Some(provider_ref),
        outcome,
        event_id: None,
    };
    settle(db, config, settlement, request_id).await
}
