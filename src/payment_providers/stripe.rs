//! Stripe: the payer gives a card on the service's pay page with Stripe's own card element
//! (Stripe.js: the card never reaches this service), which makes a PaymentMethod; the service
//! then creates and confirms a PaymentIntent with it, keyed by the checkout so a repeat never
//! charges twice, and learns the outcome at once. Stripe's webhooks (`payment_intent.succeeded`,
//! `payment_intent.payment_failed`, `payment_intent.canceled`) carry the same outcomes, verified
//! by their `Stripe-Signature` (HMAC-SHA256 of `<timestamp>.<body>`, five minutes' tolerance,
//! compared in constant time) and handled once per event id.

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::time::Duration;

use super::{Event, NewPayment, Outcome, Started};

/// The provider's stored name.
pub const NAME: &str = "stripe";

/// How far a webhook's timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 300;

/// Stripe's settings.
#[derive(Clone)]
pub struct Settings {
    /// The secret API key (`EVISA_STRIPE_SECRET_KEY`).
    pub secret_key: String,
    /// The publishable key the pay page gives Stripe.js (`EVISA_STRIPE_PUBLISHABLE_KEY`).
    pub publishable_key: String,
    /// The secret of the webhook endpoint (`EVISA_STRIPE_WEBHOOK_SECRET`).
    pub webhook_secret: String,
    /// The API's base URL (`EVISA_STRIPE_API_URL`, default `https://api.stripe.com`).
    pub api_url: String,
    /// Where Stripe.js is loaded from (`EVISA_STRIPE_JS_URL`, default `https://js.stripe.com/v3/`).
    pub js_url: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").field("api_url", &self.api_url).finish_non_exhaustive()
    }
}

/// The Stripe adapter.
pub struct Stripe {
    settings: Settings,
    http: reqwest::Client,
}

/// A PaymentIntent, as much as is read of it.
#[derive(Debug, Deserialize)]
struct PaymentIntent {
    id: String,
    status: String,
    amount: i64,
    #[serde(default)]
    amount_received: Option<i64>,
    currency: String,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

impl PaymentIntent {
    fn outcome(&self) -> Outcome {
        match self.status.as_str() {
            "succeeded" => Outcome::Succeeded {
                amount_minor: self.amount_received.unwrap_or(self.amount),
                currency: self.currency.to_ascii_uppercase(),
            },
            "canceled" => Outcome::Cancelled,
            "requires_payment_method" => Outcome::Declined,
            _ => Outcome::Pending,
        }
    }
}

/// A webhook event, as much as is read of it.
#[derive(Debug, Deserialize)]
struct WebhookEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No valid signature for the body under the endpoint's secret, or too old.
    #[error("the Stripe-Signature does not match the body, or is too old")]
    Signature,
    /// Not an event this service reads.
    #[error("the body is not a Stripe event")]
    Body,
}

/// Starts a payment: the PaymentIntent is made when the card is given.
pub fn start(payment: &NewPayment) -> Started {
    Started { provider_ref: format!("checkout_{}", payment.checkout_id) }
}

/// Checks `header` (`t=<unix>,v1=<hex>[,v1=...]`) against `body` under `secret` at `now`.
pub fn verify_signature(secret: &str, header: Option<&str>, body: &[u8], now: i64) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::Signature)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::Signature)?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Signature);
    }
    let signed = |candidate: &[u8]| {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else { return false };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(candidate).is_ok()
    };
    if signatures.iter().any(|candidate| signed(candidate)) { Ok(()) } else { Err(WebhookError::Signature) }
}

impl Stripe {
    /// The adapter for `settings`.
    pub fn new(settings: Settings) -> anyhow::Result<Stripe> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client for Stripe")?;
        Ok(Stripe { settings, http })
    }

    /// What the pay page gives Stripe.js: the publishable key and where Stripe.js is.
    pub fn page_settings(&self) -> (&str, &str) {
        (&self.settings.publishable_key, &self.settings.js_url)
    }

    /// Creates and confirms the PaymentIntent of `payment` with the card `payment_method`, keyed
    /// by the checkout (a repeat answers as the first call did); its id and outcome.
    pub async fn pay(&self, payment: &NewPayment, payment_method: &str) -> anyhow::Result<(String, Outcome)> {
        if !payment_method.starts_with("pm_") || !payment_method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            bail!("not a Stripe PaymentMethod id");
        }
        let form = [
            ("amount", payment.amount_minor.to_string()),
            ("currency", payment.currency.to_ascii_lowercase()),
            ("payment_method", payment_method.to_owned()),
            ("confirm", "true".into()),
            ("metadata[checkout_id]", payment.checkout_id.clone()),
            ("metadata[case_id]", payment.case_id.clone()),
            ("metadata[reference]", payment.reference.clone()),
        ];
        let response = self
            .http
            .post(format!("{}/v1/payment_intents", self.settings.api_url))
            .basic_auth(&self.settings.secret_key, Some(""))
            .header("Idempotency-Key", format!("evisa-checkout-{}", payment.checkout_id))
            .form(&form)
            .send()
            .await
            .context("calling Stripe")?;
        let status = response.status();
        let body = response.text().await.context("reading Stripe's answer")?;
        if status.as_u16() == 402 {
            // A declined card: Stripe answers 402 with the failed PaymentIntent inside the error.
            let error: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let id = error["error"]["payment_intent"]["id"].as_str().unwrap_or_default().to_owned();
            return Ok((id, Outcome::Declined));
        }
        if !status.is_success() {
            bail!("Stripe answered {status}");
        }
        let intent: PaymentIntent = serde_json::from_str(&body).context("Stripe's PaymentIntent")?;
        Ok((intent.id.clone(), intent.outcome()))
    }

    /// The event of a webhook: verified, and read when it is about a PaymentIntent of a
    /// checkout (`None` for events this service does not act on).
    pub fn event(&self, header: Option<&str>, body: &[u8], now: i64) -> Result<Option<(String, Event)>, WebhookError> {
        verify_signature(&self.settings.webhook_secret, header, body, now)?;
        let event: WebhookEvent = serde_json::from_slice(body).map_err(|_| WebhookError::Body)?;
        if !event.kind.starts_with("payment_intent.") {
            return Ok(None);
        }
        let intent: PaymentIntent = serde_json::from_value(event.data.object).map_err(|_| WebhookError::Body)?;
        let Some(checkout) = intent.metadata.get("checkout_id").cloned() else { return Ok(None) };
        let outcome = match event.kind.as_str() {
            "payment_intent.succeeded" | "payment_intent.payment_failed" | "payment_intent.canceled" => {
                intent.outcome()
            }
            _ => return Ok(None),
        };
        Ok(Some((checkout, Event { id: event.id, provider_ref: intent.id, outcome })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_webhook_is_taken_only_with_a_fresh_signature_of_its_exact_body() {
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_800_000_000;
        assert!(verify_signature("whsec", Some(&sign("whsec", now, body)), body, now).is_ok());
        let other_v1 = format!("v0=00,{},v1=ff", sign("whsec", now - 10, body));
        assert!(verify_signature("whsec", Some(&other_v1), body, now).is_ok(), "any v1 may match");
        for header in [
            None,
            Some(sign("other", now, body)),
            Some(sign("whsec", now - TOLERANCE_SECS - 1, body)),
            Some(sign("whsec", now, br#"{"id":"evt_2"}"#)),
            Some("t=abc,v1=00".to_owned()),
        ] {
            assert!(verify_signature("whsec", header.as_deref(), body, now).is_err(), "{header:?}");
        }
    }
}
