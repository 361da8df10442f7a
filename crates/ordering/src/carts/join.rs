//! Joining a cart: becoming a member of one, opening one, and joining a table's shared cart by
//! its QR code.

use platform::{
    AppState,
    auth::{Principal, PrincipalKind, principal::bearer_str},
    db::Tx,
    error::{Error, Result},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    display_name, emit,
    model::{CartMember, JoinTable, JoinedTable, Who},
    repo::{self, CartRow},
};
use crate::{
    lifecycle::{Channel, OrderType},
    policy::{self, kind_of},
};

/// Makes the caller a member of the cart (announcing it), unless they are one.
pub(crate) async fn join(
    tx: &mut Tx,
    who: &Principal,
    cart: &CartRow,
    name: Option<&str>,
) -> Result<CartMember> {
    if let Some(m) = repo::member(tx, cart.id, who.id).await? {
        return Ok(m);
    }
    let name = display_name(tx, who, cart.id, name).await?;
    repo::add_member(tx, who.tenant_id, cart.id, who.id, kind_of(who), &name).await?;
    let version = repo::bump_cart(tx, cart.id, None).await?;
    emit(
        tx,
        who,
        cart,
        "cart.member_joined",
        json!({ "version": version, "member": { "id": who.id, "kind": kind_of(who), "name": name } }),
    )
    .await?;
    repo::member(tx, cart.id, who.id)
        .await?
        .ok_or(Error::NotFound)
}

/// Opens a cart and makes its opener a member. At a table, the cart already open there is
/// joined instead (one open cart per table).
pub(crate) async fn open(
    tx: &mut Tx,
    who: &Principal,
    branch_id: Uuid,
    channel: Channel,
    order_type: OrderType,
    table_id: Option<Uuid>,
    name: Option<&str>,
) -> Result<(CartRow, bool)> {
    let id = Uuid::now_v7();
    let created = repo::insert_cart(
        tx,
        &repo::NewCart {
            id,
            tenant_id: who.tenant_id,
            branch_id,
            channel,
            order_type,
            table_id,
            owner_id: who.id,
            owner_kind: kind_of(who),
        },
    )
    .await?;
    let cart_id = match (created, table_id) {
        (true, _) => id,
        // Someone opened the table's cart first (perhaps a moment ago, concurrently): join it.
        (false, Some(table)) => repo::open_cart_of_table(tx, table)
            .await?
            .ok_or_else(|| Error::conflict("cart_busy", "the table's cart just closed; retry"))?,
        (false, None) => return Err(anyhow::anyhow!("a cart without a table conflicted").into()),
    };
    let cart = repo::cart(tx, cart_id, true).await?;
    if created {
        emit(
            tx,
            who,
            &cart,
            "cart.opened",
            json!({ "version": cart.version }),
        )
        .await?;
    }
    join(tx, who, &cart, name).await?;
    Ok((repo::cart(tx, cart_id, false).await?, created))
}

/// `POST /api/tables/{token}/join`: the caller — a guest session of this branch, a customer or
/// staff member of the brand, or anyone without a token, who gets a new guest session — joins
/// the table's open cart, which the first join opens.
pub async fn join_table(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    ip: &str,
    token: &str,
    req: &JoinTable,
) -> Result<JoinedTable> {
    let (tenant_id, table, view) = crate::tables::by_token(state, token).await?;
    let caller: Option<Principal> = match bearer_str(headers) {
        Some(bearer) => Some(state.jwt.verify(bearer)?.into()),
        None => None,
    };
    let (who, session) = match caller {
        // A guest session of another branch (or brand) does not carry over: start a new one.
        Some(p)
            if p.tenant_id == tenant_id
                && (p.kind != PrincipalKind::Guest || p.branch_id == Some(table.branch_id)) =>
        {
            (p, None)
        }
        _ => {
            state.limits.signup.check(&format!("guest|{ip}"))?;
            let (subject, pair) = identity::guests::start(
                state,
                tenant_id,
                table.branch_id,
                Some(identity::guests::AtTable {
                    id: table.id,
                    label: &table.label,
                }),
            )
            .await?;
            let p = Principal {
                id: subject.id,
                tenant_id: subject.tenant_id,
                kind: subject.kind,
                role: subject.role,
                branch_id: subject.branch_id,
                device_id: subject.device_id,
            };
            (p, Some(pair))
        }
    };
    if who.kind == PrincipalKind::Staff {
        // Kitchen and driver accounts do not take orders.
        policy::channel_of(&who)?;
        who.require_branch(table.branch_id)?;
    }
    let channel = match who.kind {
        PrincipalKind::Staff => Channel::Pos,
        _ => Channel::Qr,
    };
    let mut tx = state.db.begin(who.scope()).await?;
    let (cart, _) = open(
        &mut tx,
        &who,
        table.branch_id,
        channel,
        OrderType::DineIn,
        Some(table.id),
        req.name.as_deref(),
    )
    .await?;
    let me = repo::member(&mut tx, cart.id, who.id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let cart = super::get(state, &who, cart.id).await?;
    Ok(JoinedTable {
        view,
        you: Who {
            id: me.id,
            name: me.name,
        },
        cart,
        session,
    })
}
