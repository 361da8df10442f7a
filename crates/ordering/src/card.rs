//! Card tenders on a terminal, and card refunds, in steps with a recorded recovery point.
//!
//! A call out to the terminal cannot share a transaction with our books, so each charge or
//! refund goes:
//!
//! 1. **Intent**, committed on its own: a `payment_attempts` row (`pending`) whose id is our
//!    reference towards the terminal — its idempotency key — and a `payments.resolve_attempt`
//!    task queued to look at it a minute later, in case this process does not come back.
//! 2. **Call**: authorize + capture (or refund), with that reference.
//! 3. **Outcome**, in a second transaction: the payment (or refund) row, the order's sums and the
//!    journal entry against `card_clearing`, and the attempt marked `succeeded`; or the attempt
//!    marked `declined`, `failed` or — when the terminal did not answer — `unknown`.
//!
//! An attempt left `pending` (the process died between the steps) or `unknown` is resolved by
//! asking the terminal what it knows about the reference: on a retry of the request with the same
//! `Idempotency-Key`, or by the task. The terminal de-duplicates by reference and step 3 only
//! acts on an open attempt, so neither path can charge, refund or post twice.

use chrono::Utc;
use ledger::{self, Account, NewEntry, credit, debit};
use payments::provider::{
    self, Authorization, AuthorizeRequest, CardTerminal, ProviderError, TerminalPaymentState,
};
use platform::{
    AppState,
    auth::{Principal, Role},
    db::{Db, TenantScope, Tx},
    error::{Error, Result},
    queue::{self, NewTask, TaskCtx},
};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

use crate::{
    model::{OrderDto, PaymentRequest, RefundRequest},
    refunds::{approver, needs_approval, require_till, vat_share},
    repo::{self, AttemptOutcome, AttemptRow, NewAttempt},
};

/// The task that resolves an attempt left open.
pub const RESOLVE_TASK: &str = "payments.resolve_attempt";

/// How long after an attempt starts the task looks at it. A request normally settles it well
/// before; an attempt still `pending` this late was abandoned by its process.
const RESOLVE_AFTER_SECS: i64 = 60;

/// Who drives the resolution: the cashier retrying at the counter (the guest and the card are
/// there, so an attempt the terminal never saw may be made now), or the background task (no one
/// is there: an attempt the terminal never saw is dropped, never started).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Driver {
    Counter,
    Sweep,
}

fn terminal_of(db: &Db, a: &AttemptRow) -> Result<Arc<dyn CardTerminal>> {
    provider::terminal_named(&a.provider, &db.pool).ok_or_else(|| {
        anyhow::anyhow!("attempt {} names an unknown terminal {}", a.id, a.provider).into()
    })
}

/// The account a payment of `method` was taken into, and refunds of it leave from.
pub(crate) fn clearing(method: &str) -> Account {
    match method {
        "card" => Account::CardClearing,
        "online" => Account::OnlineClearing,
        _ => Account::CashDrawer,
    }
}

/// A reference derived from another, for a call that must be made at most once per source (the
/// give-back of a charge no longer needed, the refund of a payment when its order is voided).
pub(crate) fn derived_reference(source: Uuid, purpose: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(source.as_bytes())
        .chain_update(purpose.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The same Idempotency-Key racing itself into `payment_attempts`: the loser answers 409 and,
/// on its retry, finds the winner's attempt.
pub(crate) fn key_in_flight(message: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::Sqlx(sqlx::Error::Database(db))
            if db.constraint() == Some("payment_attempts_tenant_id_idempotency_key_key") =>
        {
            Error::conflict("payment_in_flight", message)
        }
        other => other,
    }
}

pub(crate) async fn enqueue_resolution(
    tx: &mut platform::db::Tx,
    a_id: Uuid,
    tenant_id: Uuid,
) -> Result<()> {
    queue::enqueue(
        tx,
        &NewTask::new(RESOLVE_TASK, json!({ "attemptId": a_id }))
            .tenant(tenant_id)
            .run_at(Utc::now() + chrono::Duration::seconds(RESOLVE_AFTER_SECS))
            .max_attempts(30)
            .dedup_key(format!("attempt:{a_id}")),
    )
    .await?;
    Ok(())
}

pub(crate) async fn mark(
    db: &Db,
    scope: TenantScope,
    id: Uuid,
    o: AttemptOutcome<'_>,
) -> Result<()> {
    let mut tx = db.begin(scope).await?;
    // Only an open attempt changes: a concurrent resolution may have settled it meanwhile.
    if let Some(a) = repo::attempt(&mut tx, id, true).await?
        && matches!(a.status.as_str(), "pending" | "unknown")
    {
        repo::set_attempt(&mut tx, id, &o).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) fn declined(code: &str, message: &str) -> Error {
    payments::errors::declined(format!("the card was declined ({code}): {message}"))
}

pub(crate) fn unknown_outcome(id: Uuid) -> Error {
    payments::errors::outcome_unknown(format!(
        "the terminal did not answer in time; attempt {id} is being resolved with it: retry \
             with the same Idempotency-Key, or wait — it is never charged twice"
    ))
}

pub(crate) fn unavailable() -> Error {
    payments::errors::unavailable(
        "terminal_unavailable",
        "the card terminal could not be reached; nothing was charged",
    )
}

pub(crate) async fn order_now(db: &Db, scope: TenantScope, order_id: Uuid) -> Result<OrderDto> {
    let mut tx = db.begin(scope).await?;
    let row = repo::order(&mut tx, order_id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// `POST /api/orders/{id}/payments` with method `card`.
pub async fn pay(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    key: &str,
    req: &PaymentRequest,
) -> Result<OrderDto> {
    let terminal_id = req.terminal_id.as_deref().ok_or_else(|| {
        Error::invalid("terminalId", "name the card terminal that takes the card")
    })?;
    if req.tendered.is_some() {
        return Err(Error::invalid("tendered", "only cash is tendered"));
    }
    let scope = who.scope();
    let mut tx = state.db.begin(scope).await?;
    // A retry: carry on with the attempt this key started.
    if let Some(a) = repo::attempt_by_key(&mut tx, key).await? {
        tx.commit().await?;
        if a.order_id != order_id || a.kind != "charge" || a.created_by != who.id {
            return Err(Error::invalid(
                "Idempotency-Key",
                "was used for a different request; use a new key for a new payment",
            ));
        }
        return drive_charge(state, scope, a, Driver::Counter).await;
    }
    let order = repo::order(&mut tx, order_id, true).await?;
    // Whoever may take cash for the order may take a card.
    crate::checkout::require_staff_of(who, order.branch_id)?;
    if matches!(who.role, Role::Kitchen | Role::Driver) {
        return Err(Error::Forbidden);
    }
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    // A charge whose outcome is not known yet may still land: it counts as paid here.
    let open = repo::open_charges(&mut tx, order.id).await?;
    let due = order.total - order.paid - open;
    let amount = req.amount.unwrap_or(due);
    if due <= 0 {
        return Err(Error::conflict(
            "nothing_due",
            if open > 0 {
                "a card payment on this order is being completed"
            } else {
                "the order is paid"
            },
        ));
    }
    if amount > due {
        return Err(Error::invalid("amount", format!("only {due} is due")));
    }
    let (provider_name, _) =
        provider::configured_terminal(state.settings.payments.terminal, &state.db.pool);
    let id = Uuid::now_v7();
    repo::insert_attempt(
        &mut tx,
        &NewAttempt {
            id,
            tenant_id: who.tenant_id,
            branch_id: order.branch_id,
            order_id: order.id,
            kind: "charge",
            method: "card",
            provider: provider_name,
            terminal_id: Some(terminal_id),
            idempotency_key: Some(key),
            return_url: None,
            amount,
            currency: &order.currency,
            payment_id: None,
            provider_ref: None,
            reason: None,
            approved_by: None,
            created_by: who.id,
        },
    )
    .await
    .map_err(key_in_flight("this payment is being taken; retry"))?;
    enqueue_resolution(&mut tx, id, who.tenant_id).await?;
    // Recovery point: the intent is on disk before the terminal hears of it.
    tx.commit().await?;
    let attempt = AttemptRow {
        id,
        tenant_id: who.tenant_id,
        branch_id: order.branch_id,
        order_id: order.id,
        kind: "charge".into(),
        method: "card".into(),
        provider: provider_name.into(),
        terminal_id: Some(terminal_id.into()),
        amount,
        currency: order.currency.clone(),
        status: "pending".into(),
        payment_id: None,
        provider_ref: None,
        decline_code: None,
        error: None,
        reason: None,
        approved_by: None,
        created_by: who.id,
        created_at: Utc::now(),
        session_id: None,
        redirect_url: None,
        return_url: None,
    };
    drive_charge(state, scope, attempt, Driver::Counter).await
}

/// Crash testing: stop between the provider call and the outcome (see `PaymentSettings`).
async fn pause_if_asked(state: &AppState) {
    if state.settings.payments.pause_after_provider {
        tracing::warn!("payments.pause_after_provider is set: waiting forever before recording");
        std::future::pending::<()>().await;
    }
}

async fn drive_charge(
    state: &AppState,
    scope: TenantScope,
    a: AttemptRow,
    driver: Driver,
) -> Result<OrderDto> {
    let outcome = resolve_charge(&state.db, scope, &a, driver, Some(state)).await?;
    match outcome {
        Settled::Done => order_now(&state.db, scope, a.order_id).await,
        Settled::Failed(e) => Err(e),
    }
}

pub(crate) enum Settled {
    Done,
    Failed(Error),
}

/// Brings a charge attempt to its end, as far as the terminal allows.
async fn resolve_charge(
    db: &Db,
    scope: TenantScope,
    a: &AttemptRow,
    driver: Driver,
    pause: Option<&AppState>,
) -> Result<Settled> {
    match a.status.as_str() {
        "succeeded" => return Ok(Settled::Done),
        "declined" => {
            return Ok(Settled::Failed(declined(
                a.decline_code.as_deref().unwrap_or("declined"),
                "retry with another card and a new Idempotency-Key",
            )));
        }
        "reversed" => {
            return Ok(Settled::Failed(Error::conflict(
                "payment_reversed",
                "the charge was given back: the order no longer needed it",
            )));
        }
        "failed" => return Ok(Settled::Failed(unavailable())),
        _ => {}
    }
    let terminal = terminal_of(db, a)?;
    let known = match terminal.status(a.id).await {
        Ok(known) => known,
        Err(_) => return Ok(Settled::Failed(unknown_outcome(a.id))),
    };
    let auth: std::result::Result<Authorization, ProviderError> = match known {
        Some(p) => match p.state {
            TerminalPaymentState::Declined { code } => Err(ProviderError::Declined {
                code,
                message: "declined by the issuer".into(),
            }),
            TerminalPaymentState::Voided => {
                mark(
                    db,
                    scope,
                    a.id,
                    AttemptOutcome {
                        status: "reversed",
                        error: Some("voided at the terminal"),
                        ..Default::default()
                    },
                )
                .await?;
                return Ok(Settled::Failed(Error::conflict(
                    "payment_reversed",
                    "the authorization was voided at the terminal",
                )));
            }
            _ => p
                .authorization
                .ok_or_else(|| ProviderError::Invalid("authorization without reference".into())),
        },
        None if driver == Driver::Sweep => {
            // The terminal never saw it and no one is at the counter: nothing was charged.
            let age = Utc::now() - a.created_at;
            if age < chrono::Duration::seconds(RESOLVE_AFTER_SECS) {
                return Err(anyhow::anyhow!("attempt {} is young; look again later", a.id).into());
            }
            mark(
                db,
                scope,
                a.id,
                AttemptOutcome::failed("the terminal never received the request"),
            )
            .await?;
            return Ok(Settled::Failed(unavailable()));
        }
        None => {
            terminal
                .authorize(AuthorizeRequest {
                    amount: a.amount,
                    currency: a.currency.clone(),
                    reference: a.id,
                })
                .await
        }
    };
    let auth = match auth {
        Ok(auth) => auth,
        Err(ProviderError::Declined { code, message }) => {
            mark(
                db,
                scope,
                a.id,
                AttemptOutcome {
                    status: "declined",
                    decline_code: Some(&code),
                    ..Default::default()
                },
            )
            .await?;
            return Ok(Settled::Failed(declined(&code, &message)));
        }
        Err(ProviderError::Timeout) => {
            mark(db, scope, a.id, AttemptOutcome::unknown()).await?;
            return Ok(Settled::Failed(unknown_outcome(a.id)));
        }
        Err(ProviderError::Unavailable) => {
            mark(
                db,
                scope,
                a.id,
                AttemptOutcome::failed("the terminal was unavailable"),
            )
            .await?;
            return Ok(Settled::Failed(unavailable()));
        }
        Err(ProviderError::Invalid(m)) => {
            mark(db, scope, a.id, AttemptOutcome::failed(&m)).await?;
            return Ok(Settled::Failed(Error::conflict("payment_refused", m)));
        }
    };
    // Capture what was authorized; repeating a capture of the same amount is harmless.
    match terminal.capture(&auth.provider_ref, a.amount).await {
        Ok(_) => {}
        Err(ProviderError::Timeout | ProviderError::Unavailable) => {
            mark(
                db,
                scope,
                a.id,
                AttemptOutcome {
                    status: "unknown",
                    provider_ref: Some(&auth.provider_ref),
                    ..Default::default()
                },
            )
            .await?;
            return Ok(Settled::Failed(unknown_outcome(a.id)));
        }
        Err(e) => return Err(anyhow::anyhow!("capture of attempt {} failed: {e}", a.id).into()),
    }
    if let Some(state) = pause {
        pause_if_asked(state).await;
    }
    finish_charge(db, scope, a, &auth, terminal.as_ref()).await
}

/// Step 3 of a charge the terminal captured: the payment, the order's sum and the journal entry,
/// once. A charge the order no longer needs (paid another way, or ended, meanwhile) is given
/// back at the terminal instead.
async fn finish_charge(
    db: &Db,
    scope: TenantScope,
    a: &AttemptRow,
    auth: &Authorization,
    terminal: &dyn CardTerminal,
) -> Result<Settled> {
    let mut tx = db.begin(scope).await?;
    let order = repo::order(&mut tx, a.order_id, true).await?;
    let Some(current) = repo::attempt(&mut tx, a.id, true).await? else {
        return Err(Error::NotFound);
    };
    if current.status == "succeeded" {
        tx.commit().await?;
        return Ok(Settled::Done);
    }
    let due = order.total - order.paid;
    if !order.status.is_live() || a.amount > due {
        tx.commit().await?;
        let give_back = derived_reference(a.id, "give back");
        return match terminal
            .refund(&auth.provider_ref, a.amount, give_back)
            .await
        {
            Ok(_) => {
                mark(
                    db,
                    scope,
                    a.id,
                    AttemptOutcome {
                        status: "reversed",
                        provider_ref: Some(&auth.provider_ref),
                        error: Some("the order no longer needed it: refunded at the terminal"),
                        ..Default::default()
                    },
                )
                .await?;
                Ok(Settled::Failed(Error::conflict(
                    "payment_reversed",
                    "the order no longer needed this charge: it was given back to the card",
                )))
            }
            Err(_) => Ok(Settled::Failed(unknown_outcome(a.id))),
        };
    }
    repo::insert_card_payment(
        &mut tx,
        &repo::CardPayment {
            id: a.id,
            method: "card",
            tenant_id: a.tenant_id,
            branch_id: a.branch_id,
            order_id: a.order_id,
            amount: a.amount,
            provider: &a.provider,
            provider_ref: &auth.provider_ref,
            terminal_id: a.terminal_id.as_deref(),
            card_brand: auth.card_brand.as_deref(),
            last4: auth.last4.as_deref(),
            taken_by: a.created_by,
        },
    )
    .await?;
    ledger::post(
        &mut tx,
        NewEntry {
            tenant_id: a.tenant_id,
            branch_id: a.branch_id,
            kind: "payment",
            reference_type: "payment",
            reference_id: a.id,
            memo: Some("card"),
            created_by: Some(a.created_by),
            postings: vec![
                debit(Account::CardClearing, a.amount),
                credit(Account::Receivable, a.amount),
            ],
        },
    )
    .await?;
    repo::set_attempt(
        &mut tx,
        a.id,
        &AttemptOutcome {
            status: "succeeded",
            provider_ref: Some(&auth.provider_ref),
            card_brand: auth.card_brand.as_deref(),
            last4: auth.last4.as_deref(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Settled::Done)
}

/// `POST /api/orders/{id}/refunds` against a card or online payment: back to the card through
/// the provider that took it, in the same three steps as a charge.
pub async fn refund(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    req: &RefundRequest,
) -> Result<OrderDto> {
    let scope = who.scope();
    let mut tx = state.db.begin(scope).await?;
    let order = repo::order(&mut tx, order_id, true).await?;
    require_till(who, order.branch_id)?;
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    let payment = repo::payment(&mut tx, req.payment_id, order.id)
        .await?
        .ok_or_else(|| Error::invalid("paymentId", "is not a payment of this order"))?;
    // Refunds under way at the terminal count as given back: two refunds cannot both fit.
    let left = payment.amount - payment.refunded - repo::open_refunds(&mut tx, payment.id).await?;
    if req.amount > left {
        return Err(Error::invalid(
            "amount",
            format!("at most {left} is left to refund on this payment"),
        ));
    }
    let approved_by = if needs_approval(&mut tx, &order, req.amount).await? {
        Some(
            approver(
                state,
                &mut tx,
                who,
                order.branch_id,
                req.manager_pin.as_deref(),
            )
            .await?,
        )
    } else {
        None
    };
    let (Some(provider), Some(provider_ref)) = (&payment.provider, &payment.provider_ref) else {
        return Err(
            anyhow::anyhow!("card payment {} has no provider reference", payment.id).into(),
        );
    };
    let id = Uuid::now_v7();
    repo::insert_attempt(
        &mut tx,
        &NewAttempt {
            id,
            tenant_id: who.tenant_id,
            branch_id: order.branch_id,
            order_id: order.id,
            kind: "refund",
            method: &payment.method,
            provider,
            terminal_id: None,
            idempotency_key: None,
            return_url: None,
            amount: req.amount,
            currency: &order.currency,
            payment_id: Some(payment.id),
            provider_ref: Some(provider_ref),
            reason: Some(&req.reason),
            approved_by,
            created_by: who.id,
        },
    )
    .await?;
    enqueue_resolution(&mut tx, id, who.tenant_id).await?;
    tx.commit().await?;
    let mut check = state.db.begin(scope).await?;
    let a = repo::attempt(&mut check, id, false)
        .await?
        .ok_or(Error::NotFound)?;
    check.commit().await?;
    match resolve_refund(&state.db, scope, &a).await? {
        Settled::Done => order_now(&state.db, scope, order.id).await,
        Settled::Failed(e) => Err(e),
    }
}

/// Gives the refund back through the terminal (idempotent by the attempt's id) and records it
/// once. Unlike a charge, a refund recorded as intended is completed by whoever resolves it: it
/// was approved, and the money goes back to the card without the guest being there.
async fn resolve_refund(db: &Db, scope: TenantScope, a: &AttemptRow) -> Result<Settled> {
    if a.status == "succeeded" {
        return Ok(Settled::Done);
    }
    if !matches!(a.status.as_str(), "pending" | "unknown") {
        return Ok(Settled::Failed(unavailable()));
    }
    let provider_ref = a.provider_ref.clone().unwrap_or_default();
    match provider::refund_at(&a.provider, &db.pool, &provider_ref, a.amount, a.id).await {
        Ok(_) => {}
        Err(ProviderError::Timeout) => {
            mark(db, scope, a.id, AttemptOutcome::unknown()).await?;
            return Ok(Settled::Failed(unknown_outcome(a.id)));
        }
        Err(ProviderError::Unavailable) => {
            // Nothing happened: the refund is dropped, and may be asked for again.
            mark(
                db,
                scope,
                a.id,
                AttemptOutcome::failed("the provider was unavailable"),
            )
            .await?;
            return Ok(Settled::Failed(payments::errors::unavailable(
                "provider_unavailable",
                "the payment provider could not be reached; nothing was refunded",
            )));
        }
        Err(ProviderError::Declined { code, message }) => {
            mark(
                db,
                scope,
                a.id,
                AttemptOutcome {
                    status: "declined",
                    decline_code: Some(&code),
                    ..Default::default()
                },
            )
            .await?;
            return Ok(Settled::Failed(declined(&code, &message)));
        }
        Err(ProviderError::Invalid(m)) => {
            mark(db, scope, a.id, AttemptOutcome::failed(&m)).await?;
            return Ok(Settled::Failed(Error::conflict("refund_refused", m)));
        }
    }
    let mut tx = db.begin(scope).await?;
    let order = repo::order(&mut tx, a.order_id, true).await?;
    let Some(current) = repo::attempt(&mut tx, a.id, true).await? else {
        return Err(Error::NotFound);
    };
    if current.status == "succeeded" {
        tx.commit().await?;
        return Ok(Settled::Done);
    }
    let payment_id = a.payment_id.ok_or(Error::NotFound)?;
    let vat_refunded = repo::refunded_vat(&mut tx, order.id).await?;
    let vat = vat_share(&order, a.amount, vat_refunded);
    let reason = a.reason.as_deref().unwrap_or("refund");
    repo::insert_refund(
        &mut tx,
        &repo::NewRefund {
            id: a.id,
            tenant_id: a.tenant_id,
            order_id: a.order_id,
            payment_id,
            amount: a.amount,
            vat,
            reason,
            created_by: a.created_by,
            approved_by: a.approved_by,
            drawer_session_id: None,
        },
    )
    .await?;
    ledger::post(
        &mut tx,
        NewEntry {
            tenant_id: a.tenant_id,
            branch_id: a.branch_id,
            kind: "refund",
            reference_type: "refund",
            reference_id: a.id,
            memo: Some(reason),
            created_by: Some(a.created_by),
            postings: vec![
                debit(Account::Refunds, a.amount - vat),
                debit(Account::VatPayable, vat),
                credit(clearing(&a.method), a.amount),
            ],
        },
    )
    .await?;
    repo::set_attempt(
        &mut tx,
        a.id,
        &AttemptOutcome {
            status: "succeeded",
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Settled::Done)
}

/// Voiding a paid order gives every card payment back at its terminal, inside the void's
/// transaction and before it commits. The refund reference is derived from the payment, so a
/// void retried after a crash or a lost answer finds the refund already made instead of making
/// a second one.
pub(crate) async fn refund_for_void(tx: &mut Tx, payment: &repo::PaymentRef) -> Result<()> {
    let (Some(provider), Some(provider_ref)) = (&payment.provider, &payment.provider_ref) else {
        return Err(
            anyhow::anyhow!("card payment {} has no provider reference", payment.id).into(),
        );
    };
    let left = payment.amount - payment.refunded;
    // On the void's own connection: the void holds it until the refunds are made.
    match provider::refund_in(
        provider,
        tx,
        provider_ref,
        left,
        derived_reference(payment.id, "void"),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(ProviderError::Timeout) => Err(payments::errors::outcome_unknown(
            "the terminal did not answer the refund in time; void again: the refund is \
                     never made twice",
        )),
        Err(ProviderError::Unavailable) => Err(payments::errors::unavailable(
            "terminal_unavailable",
            "the card terminal could not be reached; nothing was voided",
        )),
        Err(e) => Err(Error::conflict("refund_refused", e.to_string())),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvePayload {
    attempt_id: Uuid,
}

/// The `payments.resolve_attempt` task: settles an attempt its request left open. Ends quietly
/// once the attempt is settled; fails (and is retried by the queue) while the terminal cannot
/// tell yet.
pub async fn resolve_task(ctx: TaskCtx, payload: ResolvePayload) -> anyhow::Result<()> {
    let tenant_id = ctx
        .tenant_id
        .ok_or_else(|| queue::permanent(anyhow::anyhow!("an attempt belongs to a tenant")))?;
    let scope = TenantScope::tenant(tenant_id);
    let mut tx = ctx.db.begin(scope).await?;
    let Some(a) = repo::attempt(&mut tx, payload.attempt_id, false).await? else {
        return Ok(());
    };
    tx.commit().await?;
    if !matches!(a.status.as_str(), "pending" | "unknown") {
        return Ok(());
    }
    let settled = if a.kind == "charge" && a.method == "online" {
        crate::online::resolve(&ctx.db, scope, &a, true).await?
    } else if a.kind == "charge" {
        resolve_charge(&ctx.db, scope, &a, Driver::Sweep, None).await?
    } else {
        resolve_refund(&ctx.db, scope, &a).await?
    };
    if matches!(&settled, Settled::Failed(e) if payments::errors::is_provider_silence(e)) {
        // Still open (or the terminal unreachable): let the queue try again later.
        let mut tx = ctx.db.begin(scope).await?;
        let still = repo::attempt(&mut tx, a.id, false).await?;
        tx.commit().await?;
        if still.is_some_and(|s| matches!(s.status.as_str(), "pending" | "unknown")) {
            anyhow::bail!("attempt {} is still open", a.id);
        }
    }
    Ok(())
}

/// Registers the task handlers of card payments.
pub fn register(registry: &mut queue::Registry) {
    registry.register_fn(RESOLVE_TASK, resolve_task);
}
