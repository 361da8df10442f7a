//! Card terminals: the device at the counter that reads the card, asks the acquirer and hands
//! back a reference. sous drives it through authorize → capture (or void) → refund and never sees
//! the card itself.

use std::{
    collections::HashMap,
    future::ready,
    sync::{Mutex, MutexGuard, PoisonError},
};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Capture, DECLINE_CODE, ProviderError, ProviderFuture, Refund, RefundBook, SimulatedOutcome,
    check_amount, check_currency, insufficient_funds,
};

/// A card terminal integration. Object-safe so configuration can pick one at runtime
/// (`Arc<dyn CardTerminal>`).
///
/// Every call is idempotent towards the provider: `authorize` by `reference`, `refund` by
/// `refund_reference`, and capture/void by their effect, so a caller that crashed or timed out
/// may simply repeat the call.
pub trait CardTerminal: Send + Sync {
    /// Asks the guest's card for `amount`, held but not yet taken. Repeating it with the same
    /// reference returns the first answer (approval or decline), never a second hold — this is
    /// what makes retrying after a [`ProviderError::Timeout`] or a crash safe.
    fn authorize(&self, req: AuthorizeRequest) -> ProviderFuture<'_, Authorization>;

    /// Takes `amount` (at most the approved amount) of an authorization; the rest is released.
    /// Repeating a capture of the same amount returns it again.
    fn capture<'a>(&'a self, provider_ref: &'a str, amount: i64) -> ProviderFuture<'a, Capture>;

    /// Releases an authorization that was not captured. Voiding twice is harmless; voiding after
    /// capture is refused (refund instead).
    fn void<'a>(&'a self, provider_ref: &'a str) -> ProviderFuture<'a, ()>;

    /// Gives back `amount` of a capture. Refunds add up and together never exceed what was
    /// captured; a repeat with the same `refund_reference` returns the first refund.
    fn refund<'a>(
        &'a self,
        provider_ref: &'a str,
        amount: i64,
        refund_reference: Uuid,
    ) -> ProviderFuture<'a, Refund>;

    /// What the terminal knows about our payment `reference`: `None` if it never heard of it
    /// (after a timeout: nothing was charged). The recovery path for lost responses.
    fn status(&self, reference: Uuid) -> ProviderFuture<'_, Option<TerminalPayment>>;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Our payment id, the idempotency key towards the terminal.
    pub reference: Uuid,
}

/// An approved authorization. Holds only what may be stored: an opaque reference, the brand and
/// the last four digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    pub reference: Uuid,
    /// The terminal's id for this authorization; every later call names it.
    pub provider_ref: String,
    /// Minor units held on the card.
    pub approved_amount: i64,
    pub currency: String,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
}

/// Where an authorization stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TerminalPaymentState {
    /// Refused; nothing was held.
    Declined {
        code: String,
    },
    Authorized,
    Captured,
    Voided,
}

/// The terminal's view of one of our payments, as [`CardTerminal::status`] reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalPayment {
    pub reference: Uuid,
    pub state: TerminalPaymentState,
    /// `None` when declined.
    pub authorization: Option<Authorization>,
    pub captured_amount: i64,
    pub refunded_amount: i64,
}

/// A **simulator** of a card terminal, for development, demos and tests — it talks to no bank and
/// moves no money. It keeps everything in memory and follows the real flow, with outcomes chosen
/// by the last two digits of the amount (minor units):
///
/// * `…51` — declined, `insufficient_funds`;
/// * `…52` — times out: the authorization *is* recorded but the caller gets
///   [`ProviderError::Timeout`], as when a terminal charged and the answer was lost;
///   `status()` and a retried `authorize` find it. Refunds of `…52` behave the same way;
/// * `…53` — unavailable: nothing happens;
/// * anything else — approved in full.
///
/// The simulator answers at once; a real terminal's timeout is the caller's deadline expiring,
/// and the simulator reports what that deadline would produce without making tests wait for it.
#[derive(Debug, Default)]
pub struct SimulatedTerminal {
    state: Mutex<SimulatedTerminalState>,
}

#[derive(Debug, Default)]
struct SimulatedTerminalState {
    by_reference: HashMap<Uuid, SimulatedAuthorization>,
    reference_by_provider_ref: HashMap<String, Uuid>,
}

#[derive(Debug)]
struct SimulatedAuthorization {
    /// What was asked, so a reused reference with a different request is caught.
    request: AuthorizeRequest,
    state: TerminalPaymentState,
    authorization: Option<Authorization>,
    captured: i64,
    refunds: RefundBook,
}

impl SimulatedTerminal {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, SimulatedTerminalState> {
        // Every mutation below is completed before the guard drops, so a panic elsewhere while
        // holding the lock cannot leave half-written state worth refusing to read.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn authorize_now(&self, req: AuthorizeRequest) -> Result<Authorization, ProviderError> {
        check_amount(req.amount)?;
        check_currency(&req.currency)?;
        let mut state = self.lock();
        if let Some(existing) = state.by_reference.get(&req.reference) {
            if existing.request != req {
                return Err(ProviderError::Invalid(format!(
                    "reference {} was already used for {} {}",
                    req.reference, existing.request.amount, existing.request.currency
                )));
            }
            return match (&existing.state, &existing.authorization) {
                (TerminalPaymentState::Declined { .. }, _) | (_, None) => Err(insufficient_funds()),
                (_, Some(authorization)) => Ok(authorization.clone()),
            };
        }

        let (recorded_state, authorization, result) = match SimulatedOutcome::for_amount(req.amount)
        {
            SimulatedOutcome::Unavailable => return Err(ProviderError::Unavailable),
            SimulatedOutcome::Decline => (
                TerminalPaymentState::Declined {
                    code: DECLINE_CODE.into(),
                },
                None,
                Err(insufficient_funds()),
            ),
            outcome => {
                let authorization = Authorization {
                    reference: req.reference,
                    provider_ref: format!("simterm_{}", Uuid::new_v4().simple()),
                    approved_amount: req.amount,
                    currency: req.currency.clone(),
                    card_brand: Some("visa".into()),
                    last4: Some(simulated_last4(req.reference)),
                };
                state
                    .reference_by_provider_ref
                    .insert(authorization.provider_ref.clone(), req.reference);
                let result = if outcome == SimulatedOutcome::Timeout {
                    Err(ProviderError::Timeout)
                } else {
                    Ok(authorization.clone())
                };
                (
                    TerminalPaymentState::Authorized,
                    Some(authorization),
                    result,
                )
            }
        };
        state.by_reference.insert(
            req.reference,
            SimulatedAuthorization {
                request: req,
                state: recorded_state,
                authorization,
                captured: 0,
                refunds: RefundBook::default(),
            },
        );
        result
    }

    fn capture_now(&self, provider_ref: &str, amount: i64) -> Result<Capture, ProviderError> {
        check_amount(amount)?;
        let mut state = self.lock();
        let auth = find_mut(&mut state, provider_ref)?;
        let approved = auth.request.amount;
        match auth.state {
            TerminalPaymentState::Authorized => {
                if amount > approved {
                    return Err(ProviderError::Invalid(format!(
                        "capture of {amount} exceeds the {approved} authorized"
                    )));
                }
                auth.state = TerminalPaymentState::Captured;
                auth.captured = amount;
            }
            TerminalPaymentState::Captured if auth.captured == amount => {}
            TerminalPaymentState::Captured => {
                return Err(ProviderError::Invalid(format!(
                    "already captured {}, cannot capture {amount}",
                    auth.captured
                )));
            }
            TerminalPaymentState::Voided => {
                return Err(ProviderError::Invalid(
                    "the authorization was voided".into(),
                ));
            }
            TerminalPaymentState::Declined { .. } => {
                return Err(ProviderError::Invalid("the payment was declined".into()));
            }
        }
        Ok(Capture {
            provider_ref: provider_ref.to_owned(),
            amount,
        })
    }

    fn void_now(&self, provider_ref: &str) -> Result<(), ProviderError> {
        let mut state = self.lock();
        let auth = find_mut(&mut state, provider_ref)?;
        match auth.state {
            TerminalPaymentState::Authorized | TerminalPaymentState::Voided => {
                auth.state = TerminalPaymentState::Voided;
                Ok(())
            }
            TerminalPaymentState::Captured => Err(ProviderError::Invalid(
                "cannot void a captured payment; refund it instead".into(),
            )),
            TerminalPaymentState::Declined { .. } => {
                Err(ProviderError::Invalid("the payment was declined".into()))
            }
        }
    }

    fn refund_now(
        &self,
        provider_ref: &str,
        amount: i64,
        refund_reference: Uuid,
    ) -> Result<Refund, ProviderError> {
        let mut state = self.lock();
        let auth = find_mut(&mut state, provider_ref)?;
        if auth.state != TerminalPaymentState::Captured {
            return Err(ProviderError::Invalid(
                "only a captured payment can be refunded".into(),
            ));
        }
        let first_time = !auth.refunds.contains(refund_reference);
        let refund = auth
            .refunds
            .refund(auth.captured, amount, refund_reference, provider_ref)?;
        if first_time && SimulatedOutcome::for_amount(amount) == SimulatedOutcome::Timeout {
            return Err(ProviderError::Timeout);
        }
        Ok(refund)
    }

    fn status_now(&self, reference: Uuid) -> Option<TerminalPayment> {
        let state = self.lock();
        state
            .by_reference
            .get(&reference)
            .map(|auth| TerminalPayment {
                reference,
                state: auth.state.clone(),
                authorization: auth.authorization.clone(),
                captured_amount: auth.captured,
                refunded_amount: auth.refunds.total(),
            })
    }
}

impl CardTerminal for SimulatedTerminal {
    fn authorize(&self, req: AuthorizeRequest) -> ProviderFuture<'_, Authorization> {
        Box::pin(ready(self.authorize_now(req)))
    }

    fn capture<'a>(&'a self, provider_ref: &'a str, amount: i64) -> ProviderFuture<'a, Capture> {
        Box::pin(ready(self.capture_now(provider_ref, amount)))
    }

    fn void<'a>(&'a self, provider_ref: &'a str) -> ProviderFuture<'a, ()> {
        Box::pin(ready(self.void_now(provider_ref)))
    }

    fn refund<'a>(
        &'a self,
        provider_ref: &'a str,
        amount: i64,
        refund_reference: Uuid,
    ) -> ProviderFuture<'a, Refund> {
        Box::pin(ready(self.refund_now(
            provider_ref,
            amount,
            refund_reference,
        )))
    }

    fn status(&self, reference: Uuid) -> ProviderFuture<'_, Option<TerminalPayment>> {
        Box::pin(ready(Ok(self.status_now(reference))))
    }
}

fn find_mut<'s>(
    state: &'s mut SimulatedTerminalState,
    provider_ref: &str,
) -> Result<&'s mut SimulatedAuthorization, ProviderError> {
    let reference = state
        .reference_by_provider_ref
        .get(provider_ref)
        .copied()
        .ok_or_else(|| ProviderError::Invalid(format!("unknown authorization {provider_ref}")))?;
    Ok(state
        .by_reference
        .get_mut(&reference)
        .expect("every provider_ref maps to a recorded authorization"))
}

/// Four digits derived from the reference, so receipts differ between payments and a given
/// payment always shows the same "card". Not a card number: there is no card.
fn simulated_last4(reference: Uuid) -> String {
    let bytes = reference.as_bytes();
    format!("{:04}", u16::from_be_bytes([bytes[14], bytes[15]]) % 10_000)
}

#[cfg(test)]
mod tests;
