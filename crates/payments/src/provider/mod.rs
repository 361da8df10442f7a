//! Payment providers: the card terminal at the counter and the online provider behind hosted
//! checkout, each behind a trait shaped like the real integrations (authorize / capture / void /
//! refund, hosted sessions confirmed by signed webhooks), plus simulators that follow the same
//! flows so the whole tender path — declines and lost responses included — runs without a
//! contract with an acquirer.
//!
//! Card data never reaches sous: terminals and providers hand back opaque references, a card
//! brand and the last four digits, nothing more. No type here has a field that could hold a card
//! number, CVV or track data, and `platform::card_data` lets request handlers and
//! tests refuse or detect anything that looks like one.
//!
//! Every request carries our payment id as `reference`; providers use it as their idempotency
//! key, so retrying after a crash or a timeout can never charge twice, and `status(reference)`
//! answers "did it happen?" when a response was lost.

pub mod online;
pub mod online_store;
mod stored_refunds;
pub mod terminal;
pub mod terminal_store;
pub mod webhook;

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use online::{
    OnlinePayment, OnlinePaymentState, OnlineProvider, PageOutcome, Session, SessionRequest,
    SimulatedOnlineProvider, SimulatedSession, WebhookDelivery, payment_page_html,
};
pub use terminal::{
    Authorization, AuthorizeRequest, CardTerminal, SimulatedTerminal, TerminalPayment,
    TerminalPaymentState,
};

/// What every provider call returns. Boxed rather than `async fn` in the traits because the
/// provider is chosen by configuration at runtime and held as `Arc<dyn …>`, which `async fn` in
/// traits does not allow.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// Why a provider call did not succeed. The variants differ in what the caller may conclude.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The issuer or provider refused; nothing was charged. `code` is stable and machine-readable
    /// (`insufficient_funds`, `card_declined`…), `message` is for the cashier or guest.
    #[error("declined ({code}): {message}")]
    Declined { code: String, message: String },
    /// No answer in time. The operation may or may not have happened: the caller must not assume
    /// either way, and resolves it with `status(reference)` or by retrying with the same
    /// reference (which the provider de-duplicates).
    #[error("the payment provider did not answer in time; the outcome is unknown")]
    Timeout,
    /// The provider could not be reached or refused to work; nothing happened and retrying later
    /// is safe.
    #[error("the payment provider is unavailable")]
    Unavailable,
    /// The request cannot succeed as sent (unknown reference, amount above what is left, a
    /// reference reused for a different request…); retrying it unchanged will fail again.
    #[error("invalid payment request: {0}")]
    Invalid(String),
}

/// A refund as the provider recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// Our id for this refund, the provider's idempotency key for it.
    pub refund_reference: Uuid,
    /// The provider's id for the refund.
    pub provider_refund_ref: String,
    /// Minor units.
    pub amount: i64,
}

/// A capture as the provider recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    pub provider_ref: String,
    /// Minor units actually captured; the rest of the authorization is released.
    pub amount: i64,
}

/// Which card terminal integration to use. Only the simulator exists today; real terminals join
/// here as variants, so configuration files name them the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalKind {
    #[default]
    Simulated,
}

/// Which online payment provider to use. Only the simulator exists today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineKind {
    #[default]
    Simulated,
}

/// What the online provider needs besides its kind.
#[derive(Clone, Debug)]
pub struct OnlineSettings {
    /// Shared secret the provider signs webhooks with (from env/secret files, never config in
    /// the repository).
    pub webhook_secret: Vec<u8>,
    /// Where guests are sent to pay, without a trailing slash. For the simulator this is the
    /// route serving [`payment_page_html`]; the session id is appended as the last path segment.
    pub page_base_url: String,
}

/// The card terminal configuration selects.
pub fn terminal(kind: TerminalKind) -> Arc<dyn CardTerminal> {
    match kind {
        TerminalKind::Simulated => Arc::new(SimulatedTerminal::new()),
    }
}

/// The card terminal that takes card tenders, as `payments.terminal` selects, with the name
/// attempts and payments record for it. Only the simulator exists; it keeps its memory in the
/// database so a restart of sous does not make it forget a charge.
pub fn configured_terminal(
    setting: platform::config::TerminalSetting,
    pool: &sqlx::PgPool,
) -> (&'static str, Arc<dyn CardTerminal>) {
    match setting {
        platform::config::TerminalSetting::Simulator => (
            terminal_store::PROVIDER,
            Arc::new(terminal_store::StoredSimulatedTerminal::new(pool.clone())),
        ),
    }
}

/// The terminal integration an attempt went to, by the name it recorded: an attempt is resolved
/// by the provider that saw it, whatever the configuration says now.
pub fn terminal_named(name: &str, pool: &sqlx::PgPool) -> Option<Arc<dyn CardTerminal>> {
    match name {
        terminal_store::PROVIDER => Some(Arc::new(terminal_store::StoredSimulatedTerminal::new(
            pool.clone(),
        ))),
        _ => None,
    }
}

/// Gives back `amount` of a payment at the provider that took it, named as the payment
/// records it. Idempotent by `refund_reference`. Refunds need no webhook secret.
pub async fn refund_at(
    name: &str,
    pool: &sqlx::PgPool,
    provider_ref: &str,
    amount: i64,
    refund_reference: Uuid,
) -> Result<Refund, ProviderError> {
    if let Some(terminal) = terminal_named(name, pool) {
        return terminal
            .refund(provider_ref, amount, refund_reference)
            .await;
    }
    match name {
        online_store::PROVIDER => {
            online_store::StoredSimulatedOnlineProvider::new(pool.clone(), Vec::new(), "")
                .refund(provider_ref, amount, refund_reference)
                .await
        }
        _ => Err(ProviderError::Invalid(format!(
            "unknown payment provider {name}"
        ))),
    }
}

/// [`refund_at`] for a caller that holds a transaction on the database the simulators keep
/// their memory in: the simulated provider records the refund on `conn`, in a savepoint,
/// instead of taking a second connection from the pool while the caller holds one (with every
/// connection held that way, the pool would wait on itself). The simulated refund is then part
/// of the caller's transaction: if that rolls back, the simulator forgets the refund too, and
/// the caller retries it under the same reference.
pub async fn refund_in(
    name: &str,
    conn: &mut sqlx::PgConnection,
    provider_ref: &str,
    amount: i64,
    refund_reference: Uuid,
) -> Result<Refund, ProviderError> {
    use sqlx::Connection;
    let savepoint = conn.begin().await.map_err(|e| {
        tracing::warn!(error = %e, "the payment simulator's storage failed");
        ProviderError::Unavailable
    })?;
    match name {
        terminal_store::PROVIDER => {
            terminal_store::StoredSimulatedTerminal::refund_in(
                savepoint,
                provider_ref,
                amount,
                refund_reference,
            )
            .await
        }
        online_store::PROVIDER => {
            online_store::StoredSimulatedOnlineProvider::refund_in(
                savepoint,
                provider_ref,
                amount,
                refund_reference,
            )
            .await
        }
        _ => Err(ProviderError::Invalid(format!(
            "unknown payment provider {name}"
        ))),
    }
}

/// Where sous serves the online simulator's test payment page; the session id follows.
pub const SIMULATOR_PAGE_PATH: &str = "/api/payments/simulator/pay";

/// The online provider that hosts payment pages, as `payments.online` selects, with the name
/// attempts and payments record for it and the path segment of its webhook
/// (`/api/payments/webhooks/{segment}`).
pub fn configured_online(
    setting: platform::config::OnlineSetting,
    pool: &sqlx::PgPool,
    webhook_secret: &[u8],
    public_url: Option<&str>,
) -> (
    &'static str,
    Arc<online_store::StoredSimulatedOnlineProvider>,
) {
    match setting {
        platform::config::OnlineSetting::Simulator => (
            online_store::PROVIDER,
            Arc::new(online_store::StoredSimulatedOnlineProvider::new(
                pool.clone(),
                webhook_secret.to_vec(),
                format!(
                    "{}{SIMULATOR_PAGE_PATH}",
                    public_url.unwrap_or("").trim_end_matches('/')
                ),
            )),
        ),
    }
}

/// The provider whose webhooks arrive at `/api/payments/webhooks/{segment}`, by its provider
/// name.
pub fn online_by_webhook_segment(segment: &str) -> Option<&'static str> {
    match segment {
        "simulator" => Some(online_store::PROVIDER),
        _ => None,
    }
}

/// The online provider configuration selects.
pub fn online_provider(kind: OnlineKind, settings: OnlineSettings) -> Arc<dyn OnlineProvider> {
    match kind {
        OnlineKind::Simulated => Arc::new(SimulatedOnlineProvider::new(
            settings.webhook_secret,
            settings.page_base_url,
        )),
    }
}

/// How the simulators pick an outcome from an amount (minor units), so tests and demos can drive
/// every branch by choosing what to charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SimulatedOutcome {
    Approve,
    /// `…51`: declined for insufficient funds.
    Decline,
    /// `…52`: the provider did it but the answer was lost.
    Timeout,
    /// `…53`: the provider could not be reached; nothing happened.
    Unavailable,
}

impl SimulatedOutcome {
    pub(crate) fn for_amount(amount: i64) -> Self {
        match amount.rem_euclid(100) {
            51 => Self::Decline,
            52 => Self::Timeout,
            53 => Self::Unavailable,
            _ => Self::Approve,
        }
    }
}

/// The decline code the simulators give for `…51` amounts.
pub(crate) const DECLINE_CODE: &str = "insufficient_funds";

pub(crate) fn insufficient_funds() -> ProviderError {
    ProviderError::Declined {
        code: DECLINE_CODE.into(),
        message: "The card has insufficient funds.".into(),
    }
}

pub(crate) fn check_amount(amount: i64) -> Result<(), ProviderError> {
    if amount <= 0 {
        return Err(ProviderError::Invalid(format!(
            "amount must be positive minor units, got {amount}"
        )));
    }
    Ok(())
}

/// ISO 4217 alphabetic code: three ASCII capitals. Checked so a typo is refused up front instead
/// of being charged in a currency nobody meant.
pub(crate) fn check_currency(currency: &str) -> Result<(), ProviderError> {
    if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ProviderError::Invalid(format!(
            "currency must be an ISO 4217 code like \"SAR\", got {currency:?}"
        )))
    }
}

/// The refunds taken against one captured payment, shared by both simulators: refunds are
/// idempotent by their reference and together never exceed what was captured.
#[derive(Debug, Default)]
pub(crate) struct RefundBook {
    refunds: HashMap<Uuid, Refund>,
    total: i64,
}

impl RefundBook {
    pub(crate) fn total(&self) -> i64 {
        self.total
    }

    pub(crate) fn contains(&self, refund_reference: Uuid) -> bool {
        self.refunds.contains_key(&refund_reference)
    }

    /// Records a refund of `amount` out of `captured`. A repeat of an already recorded refund
    /// (same reference, same amount) returns the original, never a second refund.
    pub(crate) fn refund(
        &mut self,
        captured: i64,
        amount: i64,
        refund_reference: Uuid,
        provider_ref: &str,
    ) -> Result<Refund, ProviderError> {
        check_amount(amount)?;
        if let Some(existing) = self.refunds.get(&refund_reference) {
            if existing.amount != amount {
                return Err(ProviderError::Invalid(format!(
                    "refund {refund_reference} was already made for {}, not {amount}",
                    existing.amount
                )));
            }
            return Ok(existing.clone());
        }
        let left = captured - self.total;
        if amount > left {
            return Err(ProviderError::Invalid(format!(
                "refund of {amount} exceeds the {left} left to refund"
            )));
        }
        let refund = Refund {
            refund_reference,
            provider_refund_ref: format!("{provider_ref}_re{}", self.refunds.len() + 1),
            amount,
        };
        self.refunds.insert(refund_reference, refund.clone());
        self.total += amount;
        Ok(refund)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_configured_in_snake_case() {
        assert_eq!(
            serde_json::from_str::<TerminalKind>("\"simulated\"").unwrap(),
            TerminalKind::Simulated
        );
        assert_eq!(
            serde_json::from_str::<OnlineKind>("\"simulated\"").unwrap(),
            OnlineKind::Simulated
        );
        assert!(serde_json::from_str::<TerminalKind>("\"Simulated\"").is_err());
    }

    #[tokio::test]
    async fn config_selects_working_simulators() {
        let terminal = terminal(TerminalKind::Simulated);
        let reference = Uuid::now_v7();
        let auth = terminal
            .authorize(AuthorizeRequest {
                amount: 1000,
                currency: "SAR".into(),
                reference,
            })
            .await
            .unwrap();
        assert_eq!(auth.approved_amount, 1000);

        let online = online_provider(
            OnlineKind::Simulated,
            OnlineSettings {
                webhook_secret: b"whsec".to_vec(),
                page_base_url: "https://sous.test/pay/sim".into(),
            },
        );
        let session = online
            .create_session(SessionRequest {
                amount: 1000,
                currency: "SAR".into(),
                reference,
                return_url: "https://sous.test/orders/1".into(),
            })
            .await
            .unwrap();
        assert!(
            session
                .redirect_url
                .starts_with("https://sous.test/pay/sim/")
        );
        assert!(online.as_simulator().is_some());
    }

    #[test]
    fn outcomes_follow_the_last_two_digits() {
        assert_eq!(
            SimulatedOutcome::for_amount(1051),
            SimulatedOutcome::Decline
        );
        assert_eq!(SimulatedOutcome::for_amount(51), SimulatedOutcome::Decline);
        assert_eq!(
            SimulatedOutcome::for_amount(2052),
            SimulatedOutcome::Timeout
        );
        assert_eq!(
            SimulatedOutcome::for_amount(353),
            SimulatedOutcome::Unavailable
        );
        assert_eq!(
            SimulatedOutcome::for_amount(1000),
            SimulatedOutcome::Approve
        );
        assert_eq!(
            SimulatedOutcome::for_amount(1054),
            SimulatedOutcome::Approve
        );
    }

    #[test]
    fn currency_codes_are_checked() {
        assert!(check_currency("SAR").is_ok());
        assert!(check_currency("sar").is_err());
        assert!(check_currency("SARR").is_err());
        assert!(check_currency("").is_err());
    }
}
