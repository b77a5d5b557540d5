//! Payment providers, one adapter each behind one interface: start a payment of a case's fee
//! (amount, currency, reference, where to come back), learn its outcome (when the applicant
//! comes back, or from the provider's webhook). The use cases in [`crate::app::checkout`] record
//! each outcome once, through the same path as the signed payment callback.
//!
//! - [`test`]: the default when no provider is configured: a hosted page served by the service
//!   itself, marked TEST, where the applicant pays, declines or cancels. No account anywhere.
//! - [`stripe`]: Stripe's PaymentIntents, paid on a page with Stripe's card element; webhooks
//!   verified by their `Stripe-Signature`.
//!
//! Payments taken at a post's counter are recorded by an officer (see
//! [`crate::app::checkout::record_at_counter`]).

pub mod stripe;
pub mod test;

use crate::config::Config;

/// A payment to start.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// Our checkout's id: the idempotency key of the provider's payment.
    pub checkout_id: String,
    /// The case paid for.
    pub case_id: String,
    /// The case's reference, shown to the payer.
    pub reference: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
}

/// A payment started with a provider.
#[derive(Debug, Clone)]
pub struct Started {
    /// The provider's id of the payment.
    pub provider_ref: String,
}

/// What became of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Paid: what the provider took.
    Succeeded {
        /// Amount in minor units.
        amount_minor: i64,
        /// ISO 4217 currency.
        currency: String,
    },
    /// The card was declined; nothing was taken.
    Declined,
    /// The payer gave up; nothing was taken.
    Cancelled,
    /// Not known yet.
    Pending,
}

/// A provider's report of an outcome (a webhook event).
#[derive(Debug, Clone)]
pub struct Event {
    /// The provider's event id: an event is handled once.
    pub id: String,
    /// The provider's id of the payment.
    pub provider_ref: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// The payment provider of this service.
pub enum Provider {
    /// The built-in test provider.
    Test,
    /// Stripe.
    Stripe(stripe::Stripe),
}

impl Provider {
    /// The provider `config` names (`EVISA_PAYMENT_PROVIDER`), the test provider by default.
    pub fn from_config(config: &Config) -> anyhow::Result<Provider> {
        match &config.stripe {
            Some(settings) => Ok(Provider::Stripe(stripe::Stripe::new(settings.clone())?)),
            None => {
                tracing::warn!(
                    "PAYMENTS USE THE TEST PROVIDER: applicants 'pay' on a page of this service marked TEST and \
                     nothing is charged. Configure Stripe (EVISA_PAYMENT_PROVIDER=stripe) before taking real fees."
                );
                Ok(Provider::Test)
            }
        }
    }

    /// The provider's stored name.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Test => test::NAME,
            Provider::Stripe(_) => stripe::NAME,
        }
    }

    /// Starts a payment. (Stripe's PaymentIntent is made when the payer gives a card, with the
    /// checkout's id as its idempotency key: see [`stripe::Stripe::pay`].)
    pub fn start(&self, payment: &NewPayment) -> Started {
        match self {
            Provider::Test => test::start(payment),
            Provider::Stripe(_) => stripe::start(payment),
        }
    }

    /// The page where the payer pays a checkout.
    pub fn pay_path(&self, checkout_id: &str) -> String {
        format!("/pay/{}/{checkout_id}", self.name())
    }
}
