//! The card-terminal **simulator** with its memory in PostgreSQL (`simulator_terminal_charges`,
//! `simulator_terminal_refunds`). It follows exactly the flows and outcomes of
//! [`SimulatedTerminal`](super::SimulatedTerminal) — `…51` declined, `…52` answer lost after the
//! terminal acted, `…53` unreachable — but, like a real terminal and its acquirer, it remembers
//! every charge across a restart or a crash of sous: that is what lets a retry after a kill ask
//! "did it happen?" and get the truth.
//!
//! Its tables belong to the simulated provider, not to a brand: they have no tenant and no RLS,
//! and each call runs in its own short transaction, as a remote system would.

use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction, postgres::PgRow};
use uuid::Uuid;

use super::{
    Authorization, AuthorizeRequest, Capture, CardTerminal, DECLINE_CODE, ProviderError,
    ProviderFuture, Refund, SimulatedOutcome, TerminalPayment, TerminalPaymentState, check_amount,
    check_currency, insufficient_funds, stored_refunds,
};

/// The provider name attempts and payments record for this terminal.
pub const PROVIDER: &str = "terminal_simulator";

/// A card terminal simulator that survives restarts. See the module documentation.
#[derive(Clone, Debug)]
pub struct StoredSimulatedTerminal {
    pool: PgPool,
}

const REFUNDS: stored_refunds::Tables = stored_refunds::Tables {
    payments: "simulator_terminal_charges",
    refunds: "simulator_terminal_refunds",
    unreachable,
};

/// The simulator's own storage failing is the "terminal" being unreachable: nothing was done
/// (its transaction did not commit).
fn unreachable(e: sqlx::Error) -> ProviderError {
    tracing::warn!(error = %e, "the terminal simulator's storage failed");
    ProviderError::Unavailable
}

struct Charge {
    provider_ref: Option<String>,
    amount: i64,
    currency: String,
    state: String,
    decline_code: Option<String>,
    captured: i64,
    refunded: i64,
    card_brand: Option<String>,
    last4: Option<String>,
}

impl Charge {
    fn from_row(r: &PgRow) -> Self {
        Self {
            provider_ref: r.get("provider_ref"),
            amount: r.get("amount"),
            currency: r.get("currency"),
            state: r.get("state"),
            decline_code: r.get("decline_code"),
            captured: r.get("captured"),
            refunded: r.get("refunded"),
            card_brand: r.get("card_brand"),
            last4: r.get("last4"),
        }
    }

    fn authorization(&self, reference: Uuid) -> Option<Authorization> {
        Some(Authorization {
            reference,
            provider_ref: self.provider_ref.clone()?,
            approved_amount: self.amount,
            currency: self.currency.clone(),
            card_brand: self.card_brand.clone(),
            last4: self.last4.clone(),
        })
    }

    fn state(&self) -> TerminalPaymentState {
        match self.state.as_str() {
            "authorized" => TerminalPaymentState::Authorized,
            "captured" => TerminalPaymentState::Captured,
            "voided" => TerminalPaymentState::Voided,
            _ => TerminalPaymentState::Declined {
                code: self
                    .decline_code
                    .clone()
                    .unwrap_or_else(|| DECLINE_CODE.into()),
            },
        }
    }
}

const CHARGE_COLS: &str = "reference, provider_ref, amount, currency, state, decline_code, captured, \
                           refunded, card_brand, last4";

impl StoredSimulatedTerminal {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn authorize_now(&self, req: AuthorizeRequest) -> Result<Authorization, ProviderError> {
        check_amount(req.amount)?;
        check_currency(&req.currency)?;
        let outcome = SimulatedOutcome::for_amount(req.amount);
        if outcome == SimulatedOutcome::Unavailable {
            return Err(ProviderError::Unavailable);
        }
        let mut tx = self.pool.begin().await.map_err(unreachable)?;
        // Two requests with one reference take turns: the second finds the first's charge.
        sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 0))")
            .bind(req.reference)
            .execute(&mut *tx)
            .await
            .map_err(unreachable)?;
        let existing = sqlx::query(&format!(
            "select {CHARGE_COLS} from simulator_terminal_charges where reference = $1"
        ))
        .bind(req.reference)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unreachable)?;
        if let Some(row) = existing {
            let charge = Charge::from_row(&row);
            if charge.amount != req.amount || charge.currency != req.currency {
                return Err(ProviderError::Invalid(format!(
                    "reference {} was already used for {} {}",
                    req.reference, charge.amount, charge.currency
                )));
            }
            return charge
                .authorization(req.reference)
                .ok_or_else(insufficient_funds);
        }
        let declined = outcome == SimulatedOutcome::Decline;
        let provider_ref = (!declined).then(|| format!("simterm_{}", Uuid::new_v4().simple()));
        let last4 = simulated_last4(req.reference);
        sqlx::query(
            "insert into simulator_terminal_charges \
                 (reference, provider_ref, amount, currency, state, decline_code, card_brand, last4) \
             values ($1, $2, $3, $4, $5, $6, 'visa', $7)",
        )
        .bind(req.reference)
        .bind(&provider_ref)
        .bind(req.amount)
        .bind(&req.currency)
        .bind(if declined { "declined" } else { "authorized" })
        .bind(declined.then_some(DECLINE_CODE))
        .bind(&last4)
        .execute(&mut *tx)
        .await
        .map_err(unreachable)?;
        tx.commit().await.map_err(unreachable)?;
        match (outcome, provider_ref) {
            (SimulatedOutcome::Timeout, _) => Err(ProviderError::Timeout),
            (_, Some(provider_ref)) => Ok(Authorization {
                reference: req.reference,
                provider_ref,
                approved_amount: req.amount,
                currency: req.currency,
                card_brand: Some("visa".into()),
                last4: Some(last4),
            }),
            (_, None) => Err(insufficient_funds()),
        }
    }

    async fn locked(tx: &mut PgConnection, provider_ref: &str) -> Result<Charge, ProviderError> {
        let row = sqlx::query(&format!(
            "select {CHARGE_COLS} from simulator_terminal_charges where provider_ref = $1 \
             for update"
        ))
        .bind(provider_ref)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unreachable)?
        .ok_or_else(|| ProviderError::Invalid(format!("unknown authorization {provider_ref}")))?;
        Ok(Charge::from_row(&row))
    }

    async fn capture_now(&self, provider_ref: &str, amount: i64) -> Result<Capture, ProviderError> {
        check_amount(amount)?;
        let mut tx = self.pool.begin().await.map_err(unreachable)?;
        let charge = Self::locked(&mut tx, provider_ref).await?;
        match charge.state.as_str() {
            "authorized" if amount > charge.amount => {
                return Err(ProviderError::Invalid(format!(
                    "capture of {amount} exceeds the {} authorized",
                    charge.amount
                )));
            }
            "authorized" => {
                sqlx::query(
                    "update simulator_terminal_charges set state = 'captured', captured = $2 \
                     where provider_ref = $1",
                )
                .bind(provider_ref)
                .bind(amount)
                .execute(&mut *tx)
                .await
                .map_err(unreachable)?;
            }
            "captured" if charge.captured == amount => {}
            "captured" => {
                return Err(ProviderError::Invalid(format!(
                    "already captured {}, cannot capture {amount}",
                    charge.captured
                )));
            }
            "voided" => {
                return Err(ProviderError::Invalid(
                    "the authorization was voided".into(),
                ));
            }
            _ => return Err(ProviderError::Invalid("the payment was declined".into())),
        }
        tx.commit().await.map_err(unreachable)?;
        Ok(Capture {
            provider_ref: provider_ref.to_owned(),
            amount,
        })
    }

    async fn void_now(&self, provider_ref: &str) -> Result<(), ProviderError> {
        let mut tx = self.pool.begin().await.map_err(unreachable)?;
        let charge = Self::locked(&mut tx, provider_ref).await?;
        match charge.state.as_str() {
            "authorized" | "voided" => {
                sqlx::query(
                    "update simulator_terminal_charges set state = 'voided' where provider_ref = $1",
                )
                .bind(provider_ref)
                .execute(&mut *tx)
                .await
                .map_err(unreachable)?;
                tx.commit().await.map_err(unreachable)?;
                Ok(())
            }
            "captured" => Err(ProviderError::Invalid(
                "cannot void a captured payment; refund it instead".into(),
            )),
            _ => Err(ProviderError::Invalid("the payment was declined".into())),
        }
    }

    async fn refund_now(
        &self,
        provider_ref: &str,
        amount: i64,
        refund_reference: Uuid,
    ) -> Result<Refund, ProviderError> {
        check_amount(amount)?;
        let tx = self.pool.begin().await.map_err(unreachable)?;
        Self::refund_in(tx, provider_ref, amount, refund_reference).await
    }

    /// A refund recorded in `tx`, which it commits: a transaction of its own from the pool, or
    /// a savepoint in the caller's (see [`super::refund_in`]).
    pub(super) async fn refund_in(
        mut tx: Transaction<'_, Postgres>,
        provider_ref: &str,
        amount: i64,
        refund_reference: Uuid,
    ) -> Result<Refund, ProviderError> {
        check_amount(amount)?;
        let charge = Self::locked(&mut tx, provider_ref).await?;
        if charge.state != "captured" {
            return Err(ProviderError::Invalid(
                "only a captured payment can be refunded".into(),
            ));
        }
        let left = charge.captured - charge.refunded;
        stored_refunds::record(tx, &REFUNDS, provider_ref, amount, left, refund_reference).await
    }

    async fn status_now(&self, reference: Uuid) -> Result<Option<TerminalPayment>, ProviderError> {
        let row = sqlx::query(&format!(
            "select {CHARGE_COLS} from simulator_terminal_charges where reference = $1"
        ))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await
        .map_err(unreachable)?;
        Ok(row.map(|row| {
            let charge = Charge::from_row(&row);
            TerminalPayment {
                reference,
                state: charge.state(),
                authorization: charge.authorization(reference),
                captured_amount: charge.captured,
                refunded_amount: charge.refunded,
            }
        }))
    }
}

impl CardTerminal for StoredSimulatedTerminal {
    fn authorize(&self, req: AuthorizeRequest) -> ProviderFuture<'_, Authorization> {
        Box::pin(self.authorize_now(req))
    }

    fn capture<'a>(&'a self, provider_ref: &'a str, amount: i64) -> ProviderFuture<'a, Capture> {
        Box::pin(self.capture_now(provider_ref, amount))
    }

    fn void<'a>(&'a self, provider_ref: &'a str) -> ProviderFuture<'a, ()> {
        Box::pin(self.void_now(provider_ref))
    }

    fn refund<'a>(
        &'a self,
        provider_ref: &'a str,
        amount: i64,
        refund_reference: Uuid,
    ) -> ProviderFuture<'a, Refund> {
        Box::pin(self.refund_now(provider_ref, amount, refund_reference))
    }

    fn status(&self, reference: Uuid) -> ProviderFuture<'_, Option<TerminalPayment>> {
        Box::pin(self.status_now(reference))
    }
}

/// Four digits derived from the reference (there is no card), as the in-memory simulator does.
fn simulated_last4(reference: Uuid) -> String {
    let bytes = reference.as_bytes();
    format!("{:04}", u16::from_be_bytes([bytes[14], bytes[15]]) % 10_000)
}
