//! The test provider: the service's own hosted page, marked TEST, with pay, decline and cancel.
//! Nothing is charged; the outcome chosen is recorded as a provider's would be.

use super::{NewPayment, Started};

/// The provider's stored name.
pub const NAME: &str = "test";

/// Starts a payment: the page is the service's own, so the payment's id is the checkout's.
pub fn start(payment: &NewPayment) -> Started {
    Started { provider_ref: format!("test_{}", payment.checkout_id) }
}
