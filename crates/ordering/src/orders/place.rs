//! Placing an order, in one transaction with its ledger entries, so an acknowledged order
//! always has its books. The common checkout shares its transaction with the caller's other
//! checkouts of the moment (group commit, [`platform::group_commit`]); it is answered only once
//! that has committed.
//!
//! Checkout is idempotent: the `Idempotency-Key` is held (an advisory lock) by the transaction
//! that writes the order, and its answer is written with the order, so a retry (or a
//! concurrent duplicate, which waits on the key) gets the same answer and nothing runs twice.
//! Orders may also carry a client-generated `clientRef`: replaying it returns the order
//! already made.

use axum::http::StatusCode;
use catalog::menu::BranchMenu;
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::Tx,
    error::{Error, Result},
    group_commit::Outcome,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    group,
    model::{LineRequest, PlaceOrder},
    priced::{Charges, WriteUp, cash_tender, price_lines, write_up},
    repo,
};
use crate::{
    lifecycle::{Channel, OrderType},
    policy::{self, channel_of},
    promos,
};

/// An answer to replay: status and JSON body (an order), sent as it is stored.
pub struct Answer {
    pub status: StatusCode,
    /// JSON text: serialised by sous when the order was placed, stored as `json` since.
    pub body: String,
    /// True when the answer was stored by an earlier request with the same key.
    pub replayed: bool,
}

impl Answer {
    /// The id of the order answered with.
    pub fn order_id(&self) -> Result<Uuid> {
        #[derive(serde::Deserialize)]
        struct Order {
            id: Uuid,
        }
        let order: Order = serde_json::from_str(&self.body).map_err(anyhow::Error::from)?;
        Ok(order.id)
    }
}

/// What the request is, for the idempotency check: who sends it and exactly what.
pub fn request_hash(p: &Principal, body: &[u8]) -> Vec<u8> {
    request_hash_at(p, "POST /api/orders", body)
}

/// The same for another checkout route (`POST /api/carts/{id}/checkout`): a key reused on
/// another route is another request.
pub fn request_hash_at(p: &Principal, route: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(p.id.as_bytes());
    h.update(route.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().to_vec()
}

/// Where an order's lines come from instead of the request: a cart, which checkout takes them
/// from inside its transaction and marks ordered once the order is written. Checkout names no
/// cart: the carts implement this, so they depend on checkout and not the other way round.
pub trait Basket: Sync {
    /// What was taken, for marking it afterwards.
    type Taken: Send + Sync;

    /// Locks the basket and takes its lines, checked against `menu`; writes nothing.
    fn take(
        &self,
        tx: &mut Tx,
        who: &Principal,
        menu: &BranchMenu,
    ) -> impl Future<Output = Result<(Self::Taken, Basketed)>> + Send;

    /// After the order `order_id` is written, in the same transaction.
    fn taken(
        &self,
        tx: &mut Tx,
        who: &Principal,
        taken: &Self::Taken,
        order_id: Uuid,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The lines a basket gives the order, with the channel and table it came through.
pub struct Basketed {
    pub channel: Channel,
    pub lines: Vec<LineRequest>,
    pub table: Option<String>,
}

/// No basket: the lines are the request's (`place::<NoBasket>(…, None)`).
pub enum NoBasket {}

impl Basket for NoBasket {
    type Taken = ();

    async fn take(&self, _: &mut Tx, _: &Principal, _: &BranchMenu) -> Result<((), Basketed)> {
        match *self {}
    }

    async fn taken(&self, _: &mut Tx, _: &Principal, _: &(), _: Uuid) -> Result<()> {
        match *self {}
    }
}

/// `POST /api/orders`, and `POST /api/carts/{id}/checkout` with `cart`: then the lines come
/// from the cart (checked against the menu inside the transaction) and are marked ordered in
/// it, so pricing, the ledger, idempotency and client refs are the same for both.
pub async fn place<B: Basket>(
    state: &AppState,
    who: &Principal,
    key: &str,
    hash: &[u8],
    mut req: PlaceOrder,
    cart: Option<&B>,
) -> Result<Answer> {
    let mut channel = channel_of(who)?;
    if let Some(phone) = &req.contact_phone {
        req.contact_phone = Some(crate::contact::normalise(phone)?);
    }
    if who.kind == PrincipalKind::Staff {
        who.require_branch(req.branch_id)?;
    } else if who.branch_id.is_some_and(|b| b != req.branch_id) {
        // A guest session belongs to its table's branch.
        return Err(Error::Forbidden);
    }
    // Discounts and cash at the counter are staff business.
    if (req.has_staff_discounts() || req.payment.is_some()) && who.kind != PrincipalKind::Staff {
        return Err(Error::Forbidden);
    }
    // A table is named by its QR code: a customer at a table orders from the table's cart, and
    // a guest's table is the one their session was started at (checked below).
    if who.kind == PrincipalKind::Customer && cart.is_none() && req.order_type == OrderType::DineIn
    {
        return Err(super::guests::dine_in_by_qr());
    }
    if who.kind != PrincipalKind::Staff && req.order_type != OrderType::Delivery {
        let mut tx = state.db.begin(who.scope()).await?;
        crate::delivery::check_open_for(&mut tx, req.branch_id, req.scheduled_for).await?;
        tx.commit().await?;
    }
    // The menu and the branch's service charge first, outside the transaction: they come from
    // memory almost always.
    let (menu, charged) =
        crate::service_charge::with_menu(state, who.tenant_id, req.branch_id).await?;
    // The common order — no cart, delivery, promo code or client ref — is written together
    // with the caller's other checkouts of the moment (group commit).
    if cart.is_none()
        && who.kind != PrincipalKind::Guest
        && req.order_type != OrderType::Delivery
        && req.delivery.is_none()
        && req.promo_code.is_none()
        && req.client_ref.is_none()
    {
        let service_charge_bp = charged.rate_for(req.order_type);
        let grouped = place_grouped(
            state,
            who,
            key,
            hash,
            &req,
            &menu,
            channel,
            service_charge_bp,
        );
        if let Some(answer) = grouped.await? {
            return Ok(answer);
        }
    }

    // The busiest write path: its `order.placed` event is announced after commit (see
    // `Db::begin_announcing_after_commit`).
    let mut tx = state.db.begin_announcing_after_commit(who.scope()).await?;
    // The key, held from here until the transaction ends.
    if let Some(done) = repo::open_checkout(&mut tx, key).await? {
        tx.commit().await?;
        return replay(done, hash);
    }
    if let Some(client_ref) = req.client_ref
        && let Some(existing) = repo::order_by_client_ref(&mut tx, client_ref).await?
    {
        let row = repo::order(&mut tx, existing, false).await?;
        // A client ref names an order only to whoever placed it (or the branch's staff).
        let theirs = row.placed_by == who.id
            || (who.kind == PrincipalKind::Staff && who.can_access_branch(row.branch_id));
        if !theirs {
            return Err(Error::conflict(
                "client_ref_taken",
                "this clientRef belongs to another order; generate a new one",
            ));
        }
        let body = serde_json::to_string(&repo::order_dto(&mut tx, row).await?)
            .map_err(anyhow::Error::from)?;
        repo::store_answer(&mut tx, who.tenant_id, key, hash, 200, &body).await?;
        tx.commit().await?;
        return Ok(Answer {
            status: StatusCode::OK,
            body,
            replayed: true,
        });
    }

    if who.kind == PrincipalKind::Guest {
        super::guests::may_order(&mut tx, who, &mut req, cart.is_some()).await?;
    }
    let taken = match cart {
        Some(take) => {
            let (taken, basketed) = take.take(&mut tx, who, &menu).await?;
            channel = basketed.channel;
            req.lines = basketed.lines;
            req.table = basketed.table;
            Some(taken)
        }
        None => None,
    };
    // Delivery (zones are fulfillment's): where to, the zone's fee for pricing.
    let zone = crate::delivery::resolve(
        &mut tx,
        req.branch_id,
        req.order_type,
        req.delivery.as_ref(),
    )
    .await?;
    // What the branch adds: its service charge for this order type (0 when it charges none)
    // and the delivery zone's fee.
    let charges = Charges {
        service_charge_bp: charged.rate_for(req.order_type),
        delivery_fee: zone.as_ref().map_or(0, |z| z.fee),
    };
    let (mut lines, mut pricing) = price_lines(&menu, &req, charges, None)?;
    // Staff discounts above the threshold need a manager; a promo code is approved already.
    if pricing.totals.discount_total > policy::APPROVAL_ABOVE {
        policy::approver(
            state,
            &mut tx,
            who,
            req.branch_id,
            req.manager_pin.as_deref(),
        )
        .await?;
    }
    let promo = match &req.promo_code {
        Some(code) => {
            let (promo, discount) = promos::redeemable(
                &mut tx,
                who,
                code,
                pricing.totals.items_gross,
                req.contact_phone.as_deref(),
            )
            .await?;
            (lines, pricing) = price_lines(&menu, &req, charges, Some(discount))?;
            Some(promo)
        }
        None => None,
    };
    if let Some(zone) = &zone {
        crate::delivery::check_minimum(zone, &pricing.totals)?;
    }
    // Cash handed over is checked before the number is claimed (a refusal after the claim
    // leaves a gap in the day's numbers).
    let tender = req
        .payment
        .as_ref()
        .map(|p| cash_tender(p, pricing.totals.total))
        .transpose()?;
    // The day and number as late as the order row allows. The claim also refuses an archived
    // branch.
    let (business_date, number) =
        repo::claim_number(&state.db, who.tenant_id, req.branch_id).await?;
    let WriteUp {
        order,
        cash,
        entries,
        body,
    } = write_up(
        who,
        &req,
        &menu,
        channel,
        (business_date, number),
        &lines,
        &pricing,
        tender,
    )?;
    let answer = group::KeyedAnswer { key, hash, body };
    let rows = [group::batch_row(
        &order,
        &lines,
        cash.as_ref(),
        entries,
        Some(answer),
    )?];
    repo::place_orders(&mut tx, &rows)
        .await
        .map_err(|e| match e {
            // Two offline replays of one order racing: the loser answers with the winner's
            // order on its retry.
            Error::Sqlx(sqlx::Error::Database(db))
                if db.constraint() == Some("orders_client_ref_key") =>
            {
                Error::conflict(
                    "order_in_flight",
                    "an order with this clientRef is being placed; retry",
                )
            }
            other => other,
        })?;
    // What refers to the order comes after it.
    if let (Some(zone), Some(to)) = (&zone, &req.delivery) {
        crate::delivery::record(&mut tx, who, req.branch_id, order.id, to, zone).await?;
    }
    if let Some(promo) = &promo {
        let amount = pricing
            .applied_order_discounts
            .iter()
            .filter(|d| d.label.as_deref() == Some(promo.code.as_str()))
            .map(|d| d.amount)
            .sum();
        promos::redeem(
            &mut tx,
            who,
            promo,
            order.id,
            amount,
            req.contact_phone.as_deref(),
        )
        .await?;
    }
    if let (Some(basket), Some(taken)) = (cart, &taken) {
        basket.taken(&mut tx, who, taken, order.id).await?;
    }
    tx.commit().await?;
    state.db.announce_events().await;
    let [row] = rows;
    Ok(Answer {
        status: StatusCode::CREATED,
        body: group::written_answer(row)?,
        replayed: false,
    })
}

/// Checkout by group commit ([`platform::group_commit`]): no transaction and no round trip of
/// its own. The order is priced, then joins the caller's next batch, which claims the batch's
/// order numbers, holds the keys and finds a key answered if a concurrent request with it
/// committed first (that order is not written; its number stays a gap). A stored answer is
/// looked for beforehand only when the order cannot be placed as asked: a replay is answered
/// even once the menu has changed. `None` when the order needs a manager's approval: the
/// transactional path takes it from the start.
#[allow(clippy::too_many_arguments)]
async fn place_grouped(
    state: &AppState,
    who: &Principal,
    key: &str,
    hash: &[u8],
    req: &PlaceOrder,
    menu: &BranchMenu,
    channel: Channel,
    service_charge_bp: u32,
) -> Result<Option<Answer>> {
    let charges = Charges {
        service_charge_bp,
        delivery_fee: 0,
    };
    let priced = price_lines(menu, req, charges, None).and_then(|(lines, pricing)| {
        if pricing.totals.discount_total > policy::APPROVAL_ABOVE {
            return Ok(None);
        }
        let tender = req
            .payment
            .as_ref()
            .map(|p| cash_tender(p, pricing.totals.total))
            .transpose()?;
        Ok(Some((lines, pricing, tender)))
    });
    let (lines, pricing, tender) = match priced {
        Ok(Some(priced)) => priced,
        Ok(None) => return Ok(None),
        Err(refused) => {
            return match repo::answered(&state.db, who.tenant_id, key).await? {
                Some(done) => replay(done, hash).map(Some),
                None => Err(refused),
            };
        }
    };
    let up = write_up(
        who,
        req,
        menu,
        channel,
        group::UNCLAIMED,
        &lines,
        &pricing,
        tender,
    )?;
    let answer = group::KeyedAnswer {
        key,
        hash,
        body: up.body,
    };
    let row = group::batch_row(
        &up.order,
        &lines,
        up.cash.as_ref(),
        up.entries,
        Some(answer),
    )?;
    match state
        .group_commit
        .write(&state.db, group::PLACE_BATCH, who.scope(), row)
        .await?
    {
        Outcome::Written(row) => Ok(Some(Answer {
            status: StatusCode::CREATED,
            body: group::written_answer(row)?,
            replayed: false,
        })),
        Outcome::Answered(stored) => replay(group::stored_answer(stored)?, hash).map(Some),
    }
}

/// The stored answer of a finished request with the same key: again, if it was the same
/// request; a 422 if the key was used for a different one.
fn replay((stored, status, body): repo::Done, hash: &[u8]) -> Result<Answer> {
    if stored != hash {
        return Err(Error::invalid(
            "Idempotency-Key",
            "was used for a different request; use a new key for a new order",
        ));
    }
    Ok(Answer {
        status: StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK),
        body,
        replayed: true,
    })
}
