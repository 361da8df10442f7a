//! Online payments through a hosted payment page: sous creates a session, sends the guest to the
//! provider's page (card details are typed there, never into sous), and learns the result from a
//! signed webhook. The guest's return to `return_url` proves nothing; only the webhook (or
//! `status`) does.

use std::{
    collections::HashMap,
    fmt::Write as _,
    future::ready,
    sync::{Mutex, MutexGuard, PoisonError},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    DECLINE_CODE, ProviderError, ProviderFuture, Refund, RefundBook, SimulatedOutcome,
    check_amount, check_currency,
    webhook::{
        self, DEFAULT_TOLERANCE, SIGNATURE_HEADER, VerifiedWebhook, WebhookError, WebhookEvent,
        WebhookEventType,
    },
};

/// An online payment provider. Object-safe so configuration can pick one at runtime
/// (`Arc<dyn OnlineProvider>`).
pub trait OnlineProvider: Send + Sync {
    /// Opens a hosted payment session for our payment `reference`. Repeating it with the same
    /// request returns the same session, so a retry after a timeout never opens a second one.
    fn create_session(&self, req: SessionRequest) -> ProviderFuture<'_, Session>;

    /// Gives back `amount` of a successful payment (`provider_ref` from its webhook). Refunds add
    /// up and together never exceed the payment; a repeat with the same `refund_reference`
    /// returns the first refund.
    fn refund<'a>(
        &'a self,
        provider_ref: &'a str,
        amount: i64,
        refund_reference: Uuid,
    ) -> ProviderFuture<'a, Refund>;

    /// What the provider knows about our payment `reference`; `None` if no session was opened.
    /// For reconciling when a webhook never arrived.
    fn status(&self, reference: Uuid) -> ProviderFuture<'_, Option<OnlinePayment>>;

    /// The request header carrying this provider's webhook signature.
    fn signature_header(&self) -> &'static str;

    /// Checks that a webhook delivery came from this provider, unaltered and recent, and reads
    /// its event. The caller still records the replay key and event id (see [`webhook`]).
    fn verify_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedWebhook, WebhookError>;

    /// The simulator behind this provider, if it is one, so the app can serve its test payment
    /// page only when the simulator is configured.
    fn as_simulator(&self) -> Option<&SimulatedOnlineProvider> {
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Our payment id, the idempotency key towards the provider.
    pub reference: Uuid,
    /// Where the provider sends the guest back after paying or giving up.
    pub return_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub session_id: String,
    /// Where to send the guest to pay.
    pub redirect_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OnlinePaymentState {
    /// The guest has not paid (yet).
    Pending,
    Succeeded,
    Failed {
        code: String,
    },
}

/// The provider's view of one of our payments, as [`OnlineProvider::status`] reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlinePayment {
    pub reference: Uuid,
    pub session_id: String,
    pub state: OnlinePaymentState,
    pub amount: i64,
    pub currency: String,
    /// Set once the guest attempted to pay.
    pub provider_ref: Option<String>,
    pub refunded_amount: i64,
}

/// What the guest chose on the simulator's payment page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageOutcome {
    Approve,
    Decline,
}

/// Exactly what the provider would POST to our webhook endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// A session as the simulator's payment page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedSession {
    pub session_id: String,
    pub request: SessionRequest,
    pub state: OnlinePaymentState,
}

/// A **simulator** of an online payment provider, for development, demos and tests — it talks
/// to no bank and moves no money. Its hosted payment page is [`payment_page_html`], served by
/// the app; the guest's choice there goes to [`SimulatedOnlineProvider::complete`], which returns
/// the signed webhook delivery the real provider would send.
///
/// Outcomes follow the amount's last two digits (minor units), like the simulated terminal:
/// `…51` opens a session but "Pay" fails with `insufficient_funds`; `…52` opens the session but
/// answers [`ProviderError::Timeout`] (retrying or `status()` finds it), and refunds of `…52`
/// are recorded but time out the same way; `…53` is unavailable and opens nothing.
#[derive(Debug)]
pub struct SimulatedOnlineProvider {
    webhook_secret: Vec<u8>,
    page_base_url: String,
    state: Mutex<SimulatedOnlineState>,
}

#[derive(Debug, Default)]
struct SimulatedOnlineState {
    by_reference: HashMap<Uuid, SimulatedPayment>,
    reference_by_session: HashMap<String, Uuid>,
    reference_by_provider_ref: HashMap<String, Uuid>,
}

#[derive(Debug)]
struct SimulatedPayment {
    session_id: String,
    request: SessionRequest,
    /// Set once the page was answered: what the guest chose and the event it produced, kept so
    /// a repeat re-delivers the same event rather than inventing another.
    completion: Option<(PageOutcome, WebhookEvent)>,
    refunds: RefundBook,
}

impl SimulatedPayment {
    fn state(&self) -> OnlinePaymentState {
        match &self.completion {
            None => OnlinePaymentState::Pending,
            Some((_, event)) => match event.kind {
                WebhookEventType::PaymentSucceeded => OnlinePaymentState::Succeeded,
                WebhookEventType::PaymentFailed => OnlinePaymentState::Failed {
                    code: event.failure_code.clone().unwrap_or_default(),
                },
            },
        }
    }
}

impl SimulatedOnlineProvider {
    /// `page_base_url` is where the app serves [`payment_page_html`], without a trailing slash;
    /// sessions redirect to `{page_base_url}/{session_id}`.
    pub fn new(webhook_secret: impl Into<Vec<u8>>, page_base_url: impl Into<String>) -> Self {
        Self {
            webhook_secret: webhook_secret.into(),
            page_base_url: page_base_url.into().trim_end_matches('/').to_owned(),
            state: Mutex::default(),
        }
    }

    /// The session the payment page is about, if it exists.
    pub fn session(&self, session_id: &str) -> Option<SimulatedSession> {
        let state = self.lock();
        let reference = state.reference_by_session.get(session_id)?;
        let payment = &state.by_reference[reference];
        Some(SimulatedSession {
            session_id: payment.session_id.clone(),
            request: payment.request.clone(),
            state: payment.state(),
        })
    }

    /// The guest answered the payment page: settles the session and returns the signed webhook
    /// delivery, timestamped now.
    pub fn complete(
        &self,
        session_id: &str,
        outcome: PageOutcome,
    ) -> Result<WebhookDelivery, ProviderError> {
        self.complete_at(session_id, outcome, Utc::now())
    }

    /// [`Self::complete`] at a given time. Answering the same way again re-delivers the same
    /// event (same id), signed afresh at `now`, as a provider retrying a delivery does;
    /// answering differently is refused, since a payment is settled only once.
    pub fn complete_at(
        &self,
        session_id: &str,
        outcome: PageOutcome,
        now: DateTime<Utc>,
    ) -> Result<WebhookDelivery, ProviderError> {
        let mut guard = self.lock();
        // Reborrowed once so the payment and the provider-ref index can be borrowed together.
        let state = &mut *guard;
        let reference = *state
            .reference_by_session
            .get(session_id)
            .ok_or_else(|| ProviderError::Invalid(format!("unknown session {session_id}")))?;
        let payment = state
            .by_reference
            .get_mut(&reference)
            .expect("every session maps to a recorded payment");
        let event = match &payment.completion {
            Some((earlier, event)) if *earlier == outcome => event.clone(),
            Some(_) => {
                return Err(ProviderError::Invalid(format!(
                    "session {session_id} was already completed differently"
                )));
            }
            None => {
                let event = completion_event(outcome, session_id, reference, &payment.request, now);
                payment.completion = Some((outcome, event.clone()));
                state
                    .reference_by_provider_ref
                    .insert(event.provider_ref.clone(), reference);
                event
            }
        };
        drop(guard);
        Ok(signed_delivery(&self.webhook_secret, &event, now))
    }

    fn lock(&self) -> MutexGuard<'_, SimulatedOnlineState> {
        // Every mutation is completed before the guard drops, so a panic elsewhere while holding
        // the lock cannot leave half-written state worth refusing to read.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn create_session_now(&self, req: SessionRequest) -> Result<Session, ProviderError> {
        check_amount(req.amount)?;
        check_currency(&req.currency)?;
        if req.return_url.is_empty() {
            return Err(ProviderError::Invalid("return_url is required".into()));
        }
        let mut state = self.lock();
        if let Some(existing) = state.by_reference.get(&req.reference) {
            if existing.request != req {
                return Err(ProviderError::Invalid(format!(
                    "reference {} was already used for another session",
                    req.reference
                )));
            }
            return Ok(self.session_for(&existing.session_id));
        }
        let outcome = SimulatedOutcome::for_amount(req.amount);
        if outcome == SimulatedOutcome::Unavailable {
            return Err(ProviderError::Unavailable);
        }
        let session_id = format!("simcs_{}", Uuid::new_v4().simple());
        state
            .reference_by_session
            .insert(session_id.clone(), req.reference);
        state.by_reference.insert(
            req.reference,
            SimulatedPayment {
                session_id: session_id.clone(),
                request: req,
                completion: None,
                refunds: RefundBook::default(),
            },
        );
        if outcome == SimulatedOutcome::Timeout {
            return Err(ProviderError::Timeout);
        }
        Ok(self.session_for(&session_id))
    }

    fn session_for(&self, session_id: &str) -> Session {
        Session {
            session_id: session_id.to_owned(),
            redirect_url: format!("{}/{session_id}", self.page_base_url),
        }
    }

    fn refund_now(
        &self,
        provider_ref: &str,
        amount: i64,
        refund_reference: Uuid,
    ) -> Result<Refund, ProviderError> {
        let mut state = self.lock();
        let reference = *state
            .reference_by_provider_ref
            .get(provider_ref)
            .ok_or_else(|| ProviderError::Invalid(format!("unknown payment {provider_ref}")))?;
        let payment = state
            .by_reference
            .get_mut(&reference)
            .expect("every provider_ref maps to a recorded payment");
        if payment.state() != OnlinePaymentState::Succeeded {
            return Err(ProviderError::Invalid(
                "only a successful payment can be refunded".into(),
            ));
        }
        let first_time = !payment.refunds.contains(refund_reference);
        let refund = payment.refunds.refund(
            payment.request.amount,
            amount,
            refund_reference,
            provider_ref,
        )?;
        if first_time && SimulatedOutcome::for_amount(amount) == SimulatedOutcome::Timeout {
            return Err(ProviderError::Timeout);
        }
        Ok(refund)
    }

    fn status_now(&self, reference: Uuid) -> Option<OnlinePayment> {
        let state = self.lock();
        state.by_reference.get(&reference).map(|p| OnlinePayment {
            reference,
            session_id: p.session_id.clone(),
            state: p.state(),
            amount: p.request.amount,
            currency: p.request.currency.clone(),
            provider_ref: p.completion.as_ref().map(|(_, e)| e.provider_ref.clone()),
            refunded_amount: p.refunds.total(),
        })
    }
}

impl OnlineProvider for SimulatedOnlineProvider {
    fn create_session(&self, req: SessionRequest) -> ProviderFuture<'_, Session> {
        Box::pin(ready(self.create_session_now(req)))
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

    fn status(&self, reference: Uuid) -> ProviderFuture<'_, Option<OnlinePayment>> {
        Box::pin(ready(Ok(self.status_now(reference))))
    }

    fn signature_header(&self) -> &'static str {
        SIGNATURE_HEADER
    }

    fn verify_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedWebhook, WebhookError> {
        webhook::verify_event(
            &self.webhook_secret,
            signature,
            body,
            now,
            DEFAULT_TOLERANCE,
        )
    }

    fn as_simulator(&self) -> Option<&SimulatedOnlineProvider> {
        Some(self)
    }
}

/// The simulator's hosted payment page for `session`: what it charges and two buttons that POST
/// `session_id` and `outcome=approve|decline` (see [`PageOutcome`]) to `action_url`. The
/// handler behind `action_url` calls [`SimulatedOnlineProvider::complete`], delivers the webhook
/// and redirects the guest to the session's `return_url`.
///
/// Self-contained (inline style, no script, no external resources) and marked SIMULATOR in its
/// title, banner and buttons so nobody mistakes it for a real checkout. It asks for no card
/// details: there is no field to type one into.
pub fn payment_page_html(session: &SimulatedSession, action_url: &str) -> String {
    let amount = format_amount(session.request.amount, &session.request.currency);
    let mut html = String::new();
    html.push_str(concat!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<meta name=\"robots\" content=\"noindex\">\n",
        "<title>SIMULATOR — test payment</title>\n<style>\n",
        "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}\n",
        ".banner{background:#b00020;color:#fff;padding:.75rem;font-weight:700;text-align:center}\n",
        ".amount{font-size:2rem;margin:1rem 0}\n",
        "button{font-size:1rem;padding:.75rem 1.25rem;margin:.25rem .5rem .25rem 0}\n",
        "</style>\n</head>\n<body>\n",
        "<div class=\"banner\" role=\"alert\">SIMULATOR — no real payment is made</div>\n",
        "<h1>Test payment</h1>\n",
    ));
    let _ = writeln!(html, "<p class=\"amount\">{}</p>", escape(&amount));
    let _ = writeln!(
        html,
        "<p>Session <code>{}</code></p>",
        escape(&session.session_id)
    );
    match &session.state {
        OnlinePaymentState::Pending => {
            let _ = writeln!(
                html,
                "<form method=\"post\" action=\"{}\">",
                escape(action_url)
            );
            let _ = writeln!(
                html,
                "<input type=\"hidden\" name=\"sessionId\" value=\"{}\">",
                escape(&session.session_id)
            );
            html.push_str(concat!(
                "<button type=\"submit\" name=\"outcome\" value=\"approve\">",
                "Pay (simulator)</button>\n",
                "<button type=\"submit\" name=\"outcome\" value=\"decline\">",
                "Decline (simulator)</button>\n",
                "<button type=\"submit\" name=\"outcome\" value=\"timeout\">",
                "Pay, then lose the webhook (simulator time-out)</button>\n",
                "</form>\n",
            ));
        }
        OnlinePaymentState::Succeeded => {
            html.push_str("<p>This session has already been paid.</p>\n");
        }
        OnlinePaymentState::Failed { code } => {
            let _ = writeln!(
                html,
                "<p>This session has already failed ({}).</p>",
                escape(code)
            );
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// `1050 SAR` → `SAR 10.50`. Decimal places per ISO 4217 for the currencies that differ from
/// two (the Gulf's three-decimal dinars among them), so the page shows what is charged.
fn format_amount(minor: i64, currency: &str) -> String {
    let exponent: u32 = match currency {
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
        _ => 2,
    };
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{currency} {sign}{minor}");
    }
    let scale = 10u64.pow(exponent);
    format!(
        "{currency} {sign}{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = exponent as usize
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The event the simulated provider sends when the payer answers its page: the payer's choice,
/// except that an amount ending in …51 is declined whatever the payer chose.
pub(super) fn completion_event(
    outcome: PageOutcome,
    session_id: &str,
    reference: Uuid,
    request: &SessionRequest,
    now: DateTime<Utc>,
) -> WebhookEvent {
    let failure_code = match outcome {
        PageOutcome::Decline => Some("card_declined"),
        PageOutcome::Approve
            if SimulatedOutcome::for_amount(request.amount) == SimulatedOutcome::Decline =>
        {
            Some(DECLINE_CODE)
        }
        PageOutcome::Approve => None,
    };
    WebhookEvent {
        id: format!("evt_{}", Uuid::new_v4().simple()),
        kind: if failure_code.is_some() {
            WebhookEventType::PaymentFailed
        } else {
            WebhookEventType::PaymentSucceeded
        },
        session_id: session_id.to_owned(),
        reference,
        amount: request.amount,
        currency: request.currency.clone(),
        provider_ref: format!("simpay_{}", Uuid::new_v4().simple()),
        failure_code: failure_code.map(str::to_owned),
        occurred_at: now,
    }
}

/// `event` as the simulated provider posts it: JSON, signed with `secret` at `now`.
pub(super) fn signed_delivery(
    secret: &[u8],
    event: &WebhookEvent,
    now: DateTime<Utc>,
) -> WebhookDelivery {
    let body = serde_json::to_vec(event).expect("a webhook event always serialises");
    let signature = webhook::sign(secret, now.timestamp(), &body);
    WebhookDelivery {
        body,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (SIGNATURE_HEADER.into(), signature),
        ],
    }
}

#[cfg(test)]
mod tests;
