//! Placing an order, moving it through its lifecycle, and taking cash for it — each in one
//! transaction with its ledger entries, so an acknowledged order always has its books. The
//! common checkout shares its transaction with the caller's other checkouts of the moment
//! (group commit, [`platform::group_commit`]); it is answered only once that has committed.
//!
//! Checkout is idempotent: the `Idempotency-Key` is held (an advisory lock) by the transaction
//! that writes the order, and its answer is written with the order, so a retry (or a
//! concurrent duplicate, which waits on the key) gets the same answer and nothing runs twice.
//! Orders may also carry a client-generated `clientRef`: replaying it returns the order
//! already made.

use axum::http::StatusCode;
use catalog::menu::{BranchMenu, SelectionError};
use chrono::{NaiveDate, SubsecRound, Utc};
use payments::ledger::{self, Account, NewEntry};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind, Role},
    db::Tx,
    error::{Error, Result},
    group_commit::Outcome,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    lifecycle::{self, Channel, OrderType, Status},
    model::{
        ChangeStatus, DiscountRequest, LineRequest, OrderDto, OrderLine, PaymentDto,
        PaymentRequest, PlaceOrder, StatusChange,
    },
    policy::{self, channel_of, kind_of},
    postings,
    pricing::{self, Discount, LineInput, Pricing, PricingInput},
    promos, repo,
};

// The old paths of what moved to `policy` and `postings`, for the tender code still here and
// in the tender modules.
pub(crate) use crate::policy::require_staff_of;
use crate::postings::cash_payment as cash_entry;
pub(crate) use crate::postings::sale_reversal;

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
        return Err(crate::guest_orders::dine_in_by_qr());
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
        crate::guest_orders::may_order(&mut tx, who, &mut req, cart.is_some()).await?;
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
    let answer = repo::KeyedAnswer { key, hash, body };
    let rows = [repo::batch_row(
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
        body: repo::written_answer(row)?,
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
        repo::UNCLAIMED,
        &lines,
        &pricing,
        tender,
    )?;
    let answer = repo::KeyedAnswer {
        key,
        hash,
        body: up.body,
    };
    let row = repo::batch_row(
        &up.order,
        &lines,
        up.cash.as_ref(),
        up.entries,
        Some(answer),
    )?;
    match state
        .group_commit
        .write(&state.db, repo::PLACE_BATCH, who.scope(), row)
        .await?
    {
        Outcome::Written(row) => Ok(Some(Answer {
            status: StatusCode::CREATED,
            body: repo::written_answer(row)?,
            replayed: false,
        })),
        Outcome::Answered(stored) => replay(repo::stored_answer(stored)?, hash).map(Some),
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

/// A priced order as it is written: the row, the cash taken with it, its journal entries and
/// the answer, serialised.
struct WriteUp<'a> {
    order: repo::NewOrder<'a>,
    cash: Option<repo::CashWithOrder>,
    entries: Vec<serde_json::Value>,
    body: String,
}

#[allow(clippy::too_many_arguments)]
fn write_up<'a>(
    who: &Principal,
    req: &'a PlaceOrder,
    menu: &'a BranchMenu,
    channel: Channel,
    (business_date, number): (NaiveDate, i32),
    lines: &[repo::NewLine],
    pricing: &'a Pricing,
    tender: Option<CashTender>,
) -> Result<WriteUp<'a>> {
    let order = repo::NewOrder {
        id: Uuid::now_v7(),
        tenant_id: who.tenant_id,
        branch_id: req.branch_id,
        business_date,
        number,
        channel,
        order_type: req.order_type,
        table: req.table.as_deref(),
        placed_by: who.id,
        placed_by_kind: kind_of(who),
        client_ref: req.client_ref,
        scheduled_for: req.scheduled_for,
        notes: req.notes.as_deref(),
        contact_phone: req.contact_phone.as_deref(),
        // The currency the menu's prices are in.
        currency: &menu.currency,
        pricing,
        total: pricing.totals.total,
        vat: pricing.totals.vat,
        tip: pricing.totals.tip,
        paid: 0,
        created_at: Utc::now().trunc_subsecs(6),
    };
    let mut entries = Vec::with_capacity(2);
    entries.extend(
        ledger::entry(&NewEntry {
            tenant_id: who.tenant_id,
            branch_id: req.branch_id,
            kind: "sale",
            reference_type: "order",
            reference_id: order.id,
            memo: None,
            created_by: Some(who.id),
            postings: postings::sale(&pricing.totals),
        })?
        .map(|(_, entry)| entry),
    );
    let cash = match tender {
        Some(tender) => {
            let cash = repo::CashWithOrder {
                id: Uuid::now_v7(),
                method: "cash",
                status: "captured",
                amount: tender.amount,
                tendered: tender.tendered,
                change_given: tender.tendered - tender.amount,
                taken_by: who.id,
                device_id: who.device_id,
            };
            entries.extend(
                ledger::entry(&postings::cash_payment(
                    who,
                    req.branch_id,
                    cash.id,
                    cash.amount,
                ))?
                .map(|(_, entry)| entry),
            );
            Some(cash)
        }
        None => None,
    };
    let order = repo::NewOrder {
        paid: cash.as_ref().map_or(0, |c| c.amount),
        ..order
    };
    let body = serde_json::to_string(&placed(&order, lines, cash.as_ref()))
        .map_err(anyhow::Error::from)?;
    Ok(WriteUp {
        order,
        cash,
        entries,
        body,
    })
}

/// The order just placed, as `GET /api/orders/{id}` will show it — built from what was written
/// rather than read back.
fn placed(
    o: &repo::NewOrder<'_>,
    lines: &[repo::NewLine],
    cash: Option<&repo::CashWithOrder>,
) -> OrderDto {
    OrderDto {
        id: o.id,
        branch_id: o.branch_id,
        number: o.number,
        business_date: o.business_date,
        channel: o.channel,
        order_type: o.order_type,
        status: Status::Placed,
        table: o.table.map(str::to_owned),
        client_ref: o.client_ref,
        scheduled_for: o.scheduled_for,
        notes: o.notes.map(str::to_owned),
        contact_phone: o.contact_phone.map(str::to_owned),
        currency: o.currency.to_owned(),
        lines: lines
            .iter()
            .zip(&o.pricing.lines)
            .map(|(l, p)| OrderLine {
                id: l.id,
                product_id: l.product_id,
                product_kind: l.product_kind.to_owned(),
                name: l.name.clone(),
                name_ar: l.name_ar.clone(),
                selection: l.selection.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                gross: p.gross,
                discount: p.discount,
                net: p.net,
                vat: p.vat,
                notes: l.notes.clone(),
                seat: l.seat,
                course: l.course,
            })
            .collect(),
        totals: o.pricing.totals.clone(),
        total: o.total,
        vat: o.vat,
        tip: o.tip,
        paid: o.paid,
        refunded: 0,
        due: o.total - o.paid,
        payments: cash
            .map(|c| PaymentDto {
                id: c.id,
                method: c.method.to_owned(),
                status: c.status.to_owned(),
                amount: c.amount,
                tendered: Some(c.tendered),
                change_given: Some(c.change_given),
                refunded: 0,
                terminal_id: None,
                card_brand: None,
                last4: None,
                created_at: o.created_at,
            })
            .into_iter()
            .collect(),
        created_at: o.created_at,
    }
}

/// What the branch adds to an order's items.
#[derive(Clone, Copy)]
struct Charges {
    service_charge_bp: u32,
    delivery_fee: i64,
}

/// Prices every line from the menu, then the order; a line that cannot be ordered as asked is
/// a 422 naming it.
fn price_lines(
    menu: &BranchMenu,
    req: &PlaceOrder,
    charges: Charges,
    promo: Option<Discount>,
) -> Result<(Vec<repo::NewLine>, Pricing)> {
    let mut lines = Vec::with_capacity(req.lines.len());
    let mut inputs = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let unit = menu
            .price(l.product_id, &l.selection)
            .map_err(|e: SelectionError| Error::invalid(&format!("lines[{i}]"), e.to_string()))?;
        let (name, name_ar, kind) = menu
            .product_names(l.product_id)
            .ok_or_else(|| Error::invalid(&format!("lines[{i}]"), "not on this menu"))?;
        lines.push(repo::NewLine {
            id: Uuid::now_v7(),
            position: i as i32,
            product_id: l.product_id,
            product_kind: kind,
            name,
            name_ar,
            selection: serde_json::to_value(menu.describe(l.product_id, &l.selection))
                .map_err(anyhow::Error::from)?,
            quantity: l.quantity as i32,
            unit_price: unit.total,
            notes: l.notes.clone(),
            seat: l.seat,
            course: l.course,
        });
        inputs.push(LineInput {
            unit_price: unit.total,
            quantity: l.quantity,
            discounts: l
                .discounts
                .iter()
                .map(|d| discount(d).map_err(|_| both_or_neither(&format!("lines[{i}].discounts"))))
                .collect::<Result<_>>()?,
        });
    }
    let pricing = pricing::price(&PricingInput {
        lines: inputs,
        order_discounts: req
            .discounts
            .iter()
            .map(discount)
            .chain(promo.map(Ok))
            .collect::<Result<_>>()?,
        service_charge_bp: charges.service_charge_bp,
        delivery_fee: charges.delivery_fee,
        tip: req.tip,
        vat_rate_bp: menu.vat_rate_bp.max(0) as u32,
        vat_inclusive: menu.vat_inclusive,
    })
    .map_err(|e| Error::invalid("body", e.to_string()))?;
    Ok((lines, pricing))
}

fn discount(d: &DiscountRequest) -> Result<Discount> {
    let value = match (d.percent_bp, d.amount) {
        (Some(bp), None) => Discount::percent(bp),
        (None, Some(amount)) => Discount::fixed(amount),
        _ => return Err(both_or_neither("discounts")),
    };
    Ok(value.labelled(d.label.clone()))
}

fn both_or_neither(field: &str) -> Error {
    Error::invalid(field, "give percentBp or amount, not both")
}

/// What a cash tender takes: the amount (all that is due unless less is given) and what the
/// guest handed over.
struct CashTender {
    amount: i64,
    tendered: i64,
}

fn cash_tender(payment: &PaymentRequest, due: i64) -> Result<CashTender> {
    if payment.method != crate::model::Method::Cash || payment.terminal_id.is_some() {
        return Err(Error::invalid(
            "payment.method",
            "only cash is taken with the order; take a card with POST /api/orders/{id}/payments",
        ));
    }
    let amount = payment.amount.unwrap_or(due);
    if amount > due {
        return Err(Error::invalid(
            "payment.amount",
            format!("only {due} is due"),
        ));
    }
    if amount == 0 {
        return Err(Error::conflict("nothing_due", "the order is paid"));
    }
    let tendered = payment.tendered.unwrap_or(amount);
    if tendered < amount {
        return Err(Error::invalid("payment.tendered", "must cover the amount"));
    }
    Ok(CashTender { amount, tendered })
}

async fn take_cash(
    tx: &mut Tx,
    who: &Principal,
    order_id: Uuid,
    branch_id: Uuid,
    due: i64,
    payment: &PaymentRequest,
) -> Result<Uuid> {
    let CashTender { amount, tendered } = cash_tender(payment, due)?;
    let id = Uuid::now_v7();
    let drawer = crate::drawers::open_session_of(tx, who.device_id).await?;
    repo::insert_cash_payment(
        tx,
        &repo::NewPayment {
            id,
            tenant_id: who.tenant_id,
            branch_id,
            order_id,
            amount,
            tendered: Some(tendered),
            change_given: Some(tendered - amount),
            taken_by: Some(who.id),
            drawer_session_id: drawer,
        },
    )
    .await?;
    ledger::post(tx, cash_entry(who, branch_id, id, amount)).await?;
    Ok(id)
}

/// `POST /api/orders/{id}/status`.
pub async fn change_status(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    req: &ChangeStatus,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = repo::order(&mut tx, order_id, true).await?;
    require_staff_of(who, order.branch_id)?;
    if !lifecycle::may_step(who.role, req.status) {
        return Err(Error::Forbidden);
    }
    if !lifecycle::allowed(order.order_type, order.status, req.status) {
        return Err(Error::conflict(
            "illegal_transition",
            format!(
                "a {:?} order cannot go from {} to {}",
                order.order_type,
                order.status.as_str(),
                req.status.as_str()
            ),
        ));
    }
    let ending = matches!(req.status, Status::Cancelled | Status::Voided);
    if ending {
        if req.reason.is_none() {
            return Err(Error::invalid(
                "reason",
                "say why the order is cancelled or voided",
            ));
        }
        // Anything ever paid counts: a refunded order's sale is already reduced by its refunds,
        // and reversing the whole sale again would take its VAT back twice.
        if order.refunded > 0 {
            return Err(Error::conflict(
                "refunded",
                "money was given back on this order: it is settled by its refunds, not voided",
            ));
        }
        let paid = order.paid > 0;
        if paid && req.status == Status::Cancelled {
            return Err(Error::conflict(
                "paid",
                "money was taken for this order: void it (with a manager) or refund it",
            ));
        }
        if paid {
            let reason = req.reason.as_deref().unwrap_or_default();
            crate::refunds::void_paid(
                state,
                &mut tx,
                who,
                &order,
                reason,
                req.manager_pin.as_deref(),
            )
            .await?;
        } else {
            if req.status == Status::Voided && !matches!(who.role, Role::Owner | Role::Manager) {
                return Err(Error::Forbidden);
            }
            let reversal = sale_reversal(&order.pricing.0.totals);
            ledger::post(
                &mut tx,
                NewEntry {
                    tenant_id: who.tenant_id,
                    branch_id: order.branch_id,
                    kind: req.status.as_str(),
                    reference_type: "order",
                    reference_id: order.id,
                    memo: req.reason.as_deref(),
                    created_by: Some(who.id),
                    postings: reversal,
                },
            )
            .await?;
        }
    }
    repo::set_status(&mut tx, order.id, req.status, req.reason.as_deref()).await?;
    repo::history(
        &mut tx,
        who.tenant_id,
        order.id,
        Some(order.status),
        req.status,
        req.reason.as_deref(),
        Some(who.id),
    )
    .await?;
    let row = repo::order(&mut tx, order.id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// `POST /api/orders/{id}/payments` (cash).
pub async fn pay(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    req: &PaymentRequest,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = repo::order(&mut tx, order_id, true).await?;
    require_staff_of(who, order.branch_id)?;
    if matches!(who.role, Role::Kitchen | Role::Driver) {
        return Err(Error::Forbidden);
    }
    if !order.status.is_live() {
        return Err(Error::conflict(
            "order_ended",
            "the order was cancelled or voided",
        ));
    }
    // Refunds reduce the sale, not the debt: what is due is the total less what was paid.
    let due = order.total - order.paid;
    take_cash(&mut tx, who, order.id, order.branch_id, due, req).await?;
    let row = repo::order(&mut tx, order.id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// `GET /api/orders/{id}`: the branch's staff, or the guest or customer who placed it.
pub async fn get(state: &AppState, who: &Principal, order_id: Uuid) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let row = visible_order(&mut tx, who, order_id).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}

/// The order's status history, oldest first; visible to whoever may see the order.
pub async fn status_history(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
) -> Result<Vec<StatusChange>> {
    let mut tx = state.db.begin(who.scope()).await?;
    visible_order(&mut tx, who, order_id).await?;
    let changes = repo::status_changes(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(changes)
}

/// The order, if `who` may see it: the branch's staff, or the guest or customer who placed it.
async fn visible_order(tx: &mut Tx, who: &Principal, order_id: Uuid) -> Result<repo::OrderRow> {
    let row = repo::order(tx, order_id, false).await?;
    let allowed = match who.kind {
        PrincipalKind::Staff => who.can_access_branch(row.branch_id),
        _ => row.placed_by == who.id,
    };
    if !allowed {
        // Someone else's order is not found, not forbidden: ids are not to be probed.
        return Err(Error::NotFound);
    }
    Ok(row)
}

/// The reconciliation: ledger balances next to what the orders and payments say.
pub async fn reconcile(tx: &mut Tx) -> Result<Value> {
    let expected = repo::expected(tx).await?;
    let books = json!({
        "trialBalance": ledger::trial_balance(tx).await?,
        "receivable": ledger::balance(tx, Account::Receivable, None).await?,
        "cash": ledger::balance(tx, Account::CashDrawer, None).await?,
        "card": ledger::balance(tx, Account::CardClearing, None).await?,
        "online": ledger::balance(tx, Account::OnlineClearing, None).await?,
        "bank": ledger::balance(tx, Account::Bank, None).await?,
        "fees": ledger::balance(tx, Account::PaymentFees, None).await?,
        "vat": -ledger::balance(tx, Account::VatPayable, None).await?,
        "tips": -ledger::balance(tx, Account::TipsPayable, None).await?,
    });
    Ok(json!({ "books": books, "orders": expected }))
}

/// `POST /api/orders/{id}/table`: the party moved to another table.
pub async fn move_table(
    state: &AppState,
    who: &Principal,
    order_id: Uuid,
    table: &str,
) -> Result<OrderDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let order = repo::order(&mut tx, order_id, true).await?;
    require_staff_of(who, order.branch_id)?;
    if order.order_type != crate::lifecycle::OrderType::DineIn || order.status.is_final() {
        return Err(Error::conflict(
            "not_at_a_table",
            "only an open dine-in order sits at a table",
        ));
    }
    repo::move_table(&mut tx, order.id, table).await?;
    platform::events::append(
        &mut tx,
        platform::events::NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(order.branch_id),
            channel: platform::events::Channel::Orders,
            stream: &format!("order:{}", order.id),
            kind: "order.moved",
            audience: (order.placed_by_kind != "staff").then_some(order.placed_by),
            payload: json!({ "orderId": order.id, "status": order.status, "number": order.number,
                             "table": table, "from": order.table_ref, "time": Utc::now() }),
        },
    )
    .await?;
    platform::audit::record(
        &mut tx,
        who.tenant_id,
        who.into(),
        platform::audit::Entry {
            action: "order.moved",
            entity: "order",
            entity_id: Some(order.id),
            before: Some(json!({ "table": order.table_ref })),
            after: Some(json!({ "table": table })),
        },
    )
    .await?;
    let row = repo::order(&mut tx, order.id, false).await?;
    let dto = repo::order_dto(&mut tx, row).await?;
    tx.commit().await?;
    Ok(dto)
}
