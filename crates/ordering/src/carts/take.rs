//! Checking a cart out: its lines (all, the ones named, or the caller's own) become an order
//! through the one checkout path, which takes them from the cart as a [`Basket`].

use catalog::menu::{BranchMenu, SelectionError};
use platform::{
    AppState,
    auth::Principal,
    db::Tx,
    error::{Error, Result},
};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::{
    access, emit,
    model::CartCheckout,
    repo::{self, CartLineRow, CartRow},
};
use crate::{
    orders::{
        self, Answer, Basket, Basketed,
        model::{LineRequest, PlaceOrder},
    },
    tables,
};

/// What a checkout takes from a cart.
pub struct Take {
    pub cart_id: Uuid,
    pub lines: Option<Vec<Uuid>>,
    pub mine: bool,
}

/// The lines taken, for the order and for marking them afterwards.
pub struct Taken {
    pub cart: CartRow,
    pub line_ids: Vec<Uuid>,
    pub lines: Vec<LineRequest>,
    pub table: Option<String>,
}

/// `POST /api/carts/{id}/checkout`: the order placed through the one checkout path.
pub async fn checkout(
    state: &AppState,
    who: &Principal,
    cart_id: Uuid,
    key: &str,
    hash: &[u8],
    req: CartCheckout,
) -> Result<Answer> {
    // The cart's branch first: checkout reads the branch's menu before its transaction.
    let mut tx = state.db.begin(who.scope()).await?;
    let cart = repo::cart(&mut tx, cart_id, false).await?;
    access(&mut tx, who, &cart).await?;
    tx.commit().await?;
    let order = PlaceOrder {
        branch_id: cart.branch_id,
        order_type: cart.order_type,
        table: None,
        client_ref: req.client_ref,
        scheduled_for: None,
        notes: req.notes,
        lines: vec![],
        tip: req.tip,
        discounts: req.discounts,
        payment: req.payment,
        promo_code: req.promo_code,
        contact_phone: req.contact_phone,
        manager_pin: req.manager_pin,
        delivery: req.delivery,
    };
    let take = Take {
        cart_id,
        lines: req.lines,
        mine: req.mine,
    };
    orders::place(state, who, key, hash, order, Some(&take)).await
}

/// Inside checkout's transaction: locks the cart, picks the lines and checks each against the
/// menu now. Two checkouts of the same lines take turns on the lock; the second finds them
/// ordered. Nothing is written here, so a refusal leaves the cart as it was.
async fn take(tx: &mut Tx, who: &Principal, menu: &BranchMenu, t: &Take) -> Result<Taken> {
    let cart = repo::cart(tx, t.cart_id, true).await?;
    access(tx, who, &cart).await?;
    if cart.status != "open" {
        return Err(Error::conflict(
            "cart_closed",
            format!("the cart is {}", cart.status),
        ));
    }
    let all = repo::cart_lines(tx, cart.id).await?;
    let chosen: Vec<&CartLineRow> = match &t.lines {
        Some(ids) => {
            let mut chosen = Vec::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                let line = all.iter().find(|l| l.id == *id).ok_or_else(|| {
                    Error::invalid(&format!("lines[{i}]"), "not a line of this cart")
                })?;
                if line.order_id.is_some() {
                    return Err(Error::conflict(
                        "line_ordered",
                        format!("line {id} ({}) was ordered already", line.name),
                    ));
                }
                if chosen.iter().any(|l: &&CartLineRow| l.id == *id) {
                    return Err(Error::invalid(&format!("lines[{i}]"), "named twice"));
                }
                chosen.push(line);
            }
            chosen
        }
        None => all.iter().filter(|l| l.order_id.is_none()).collect(),
    };
    let chosen: Vec<&CartLineRow> = chosen
        .into_iter()
        .filter(|l| !t.mine || l.added_by == who.id)
        .collect();
    if chosen.is_empty() {
        return Err(Error::conflict(
            "nothing_to_order",
            "no line of this cart is left to order",
        ));
    }
    // Every refusal is collected, so the guest sees all lines that need them at once.
    let (mut unavailable, mut invalid, mut repriced) = (vec![], BTreeMap::new(), vec![]);
    for l in &chosen {
        match menu.price(l.product_id, &l.selection) {
            Err(
                e @ (SelectionError::UnknownProduct(_)
                | SelectionError::SoldOut { .. }
                | SelectionError::NotServedNow { .. }),
            ) => unavailable.push(format!("line {} ({}): {e}", l.id, l.name)),
            Err(e) => {
                invalid.insert(format!("lines[{}]", l.id), vec![e.to_string()]);
            }
            Ok(u) if u.total != l.unit_price => repriced.push(format!(
                "line {} ({}): the price changed from {} to {}",
                l.id, l.name, l.unit_price, u.total
            )),
            Ok(_) => {}
        }
    }
    if !unavailable.is_empty() {
        return Err(Error::conflict("line_unavailable", unavailable.join("; ")));
    }
    if !invalid.is_empty() {
        return Err(Error::Validation { fields: invalid });
    }
    if !repriced.is_empty() {
        return Err(Error::conflict(
            "price_changed",
            format!(
                "{}; update the line to accept the new price",
                repriced.join("; ")
            ),
        ));
    }
    let table = match cart.table_id {
        Some(id) => Some(tables::repo::table(tx, id, false).await?.label),
        None => None,
    };
    Ok(Taken {
        line_ids: chosen.iter().map(|l| l.id).collect(),
        lines: chosen
            .iter()
            .map(|l| LineRequest {
                product_id: l.product_id,
                selection: l.selection.0.clone(),
                quantity: l.quantity as u32,
                notes: l.notes.clone(),
                seat: l.seat,
                course: l.course,
                discounts: vec![],
            })
            .collect(),
        table,
        cart,
    })
}

/// Inside checkout's transaction, after the order is written: the lines point at it, and the
/// cart closes when nothing is left to order.
async fn taken(tx: &mut Tx, who: &Principal, t: &Taken, order_id: Uuid) -> Result<()> {
    let left = repo::mark_lines_ordered(tx, t.cart.id, &t.line_ids, order_id).await?;
    let status = (left == 0).then_some("checked_out");
    let version = repo::bump_cart(tx, t.cart.id, status).await?;
    emit(
        tx,
        who,
        &t.cart,
        "cart.checked_out",
        json!({ "version": version, "orderId": order_id, "lineIds": t.line_ids,
                "status": status.unwrap_or("open") }),
    )
    .await
}

impl Basket for Take {
    type Taken = Taken;

    async fn take(
        &self,
        tx: &mut Tx,
        who: &Principal,
        menu: &BranchMenu,
    ) -> Result<(Taken, Basketed)> {
        let taken = take(tx, who, menu, self).await?;
        let basketed = Basketed {
            channel: taken.cart.channel,
            lines: taken.lines.clone(),
            table: taken.table.clone(),
        };
        Ok((taken, basketed))
    }

    async fn taken(&self, tx: &mut Tx, who: &Principal, t: &Taken, order_id: Uuid) -> Result<()> {
        taken(tx, who, t, order_id).await
    }
}
