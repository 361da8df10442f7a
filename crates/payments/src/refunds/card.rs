//! Card and online refunds: back to the card through the provider that took the payment, in the
//! same three steps as a charge (intent, call, outcome), and the give-back of a voided order's
//! card payments.

use ledger::{self, Account, NewEntry, credit, debit};
use ordering::api::OrderDto;
use platform::{
    AppState,
    auth::Principal,
    db::{Db, TenantScope, Tx},
    error::{Error, Result},
};
use uuid::Uuid;

use crate::provider::{self, ProviderError};

use super::{
    RefundRequest, approver, needs_approval, repo as refunds_repo, require_till, vat_share,
};
use crate::attempts::{
    Settled, clearing, declined, derived_reference, enqueue_resolution, mark, order_now,
    repo::{self as attempts_repo, AttemptOutcome, AttemptRow, NewAttempt},
    unavailable, unknown_outcome,
};

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
    let order = ordering::api::lock(&mut tx, order_id).await?;
    require_till(who, order.branch_id)?;
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    let payment = refunds_repo::payment(&mut tx, req.payment_id, order.id)
        .await?
        .ok_or_else(|| Error::invalid("paymentId", "is not a payment of this order"))?;
    // Refunds under way at the terminal count as given back: two refunds cannot both fit.
    let left = payment.amount
        - payment.refunded
        - attempts_repo::open_refunds(&mut tx, payment.id).await?;
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
    attempts_repo::insert_attempt(
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
    let a = attempts_repo::attempt(&mut check, id, false)
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
pub(crate) async fn resolve_refund(db: &Db, scope: TenantScope, a: &AttemptRow) -> Result<Settled> {
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
            return Ok(Settled::Failed(crate::errors::unavailable(
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
    let order = ordering::api::lock(&mut tx, a.order_id).await?;
    let Some(current) = attempts_repo::attempt(&mut tx, a.id, true).await? else {
        return Err(Error::NotFound);
    };
    if current.status == "succeeded" {
        tx.commit().await?;
        return Ok(Settled::Done);
    }
    let payment_id = a.payment_id.ok_or(Error::NotFound)?;
    let vat_refunded = refunds_repo::refunded_vat(&mut tx, order.id).await?;
    let vat = vat_share(&order, a.amount, vat_refunded);
    let reason = a.reason.as_deref().unwrap_or("refund");
    refunds_repo::insert_refund(
        &mut tx,
        &refunds_repo::NewRefund {
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
            currency: &a.currency,
            postings: vec![
                debit(Account::Refunds, a.amount - vat),
                debit(Account::VatPayable, vat),
                credit(clearing(&a.method), a.amount),
            ],
        },
    )
    .await?;
    attempts_repo::set_attempt(
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
pub(crate) async fn refund_for_void(tx: &mut Tx, payment: &refunds_repo::PaymentRef) -> Result<()> {
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
        Err(ProviderError::Timeout) => Err(crate::errors::outcome_unknown(
            "the terminal did not answer the refund in time; void again: the refund is \
                     never made twice",
        )),
        Err(ProviderError::Unavailable) => Err(crate::errors::unavailable(
            "terminal_unavailable",
            "the card terminal could not be reached; nothing was voided",
        )),
        Err(e) => Err(Error::conflict("refund_refused", e.to_string())),
    }
}
