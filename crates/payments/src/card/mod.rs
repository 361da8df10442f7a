//! Card tenders on a terminal, in steps with a recorded recovery point (card refunds take the
//! same steps: `refunds::card`).
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
use ordering::api::{OrderDto, PaymentRequest};
use platform::{
    AppState,
    auth::{Principal, Role},
    db::{Db, TenantScope},
    error::{Error, Result},
};
use uuid::Uuid;

use crate::provider::{
    self, Authorization, AuthorizeRequest, CardTerminal, ProviderError, TerminalPaymentState,
};

use crate::attempts::{
    self, Settled, declined, derived_reference, enqueue_resolution, key_in_flight, mark, order_now,
    pause_if_asked,
    repo::{self, AttemptOutcome, AttemptRow, NewAttempt},
    terminal_of, unavailable, unknown_outcome,
};

/// Who drives the resolution: the cashier retrying at the counter (the guest and the card are
/// there, so an attempt the terminal never saw may be made now), or the background task (no one
/// is there: an attempt the terminal never saw is dropped, never started).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Driver {
    Counter,
    Sweep,
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
    let order = ordering::api::lock(&mut tx, order_id).await?;
    // Whoever may take cash for the order may take a card.
    ordering::api::require_staff_of(who, order.branch_id)?;
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

/// Brings a charge attempt to its end, as far as the terminal allows.
pub(crate) async fn resolve_charge(
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
            if age < chrono::Duration::seconds(attempts::RESOLVE_AFTER_SECS) {
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
    let order = ordering::api::lock(&mut tx, a.order_id).await?;
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
            currency: &a.currency,
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
