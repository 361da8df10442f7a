//! Server-side carts for every channel: the POS, a guest at a table (one shared cart per table,
//! everyone who scans its QR code joins it) and the website. Every line is checked and priced
//! by the branch's menu when it is added or changed, and again at checkout, where a changed
//! price, an item gone or sold out, or a selection no longer valid refuses the line by name
//! instead of changing it silently.
//!
//! Every change takes the cart's row lock, bumps its version and appends an event (`orders`
//! channel, stream `cart:<id>`, no audience) that the branch's staff and the cart's members
//! follow on `/api/sse/orders` (members with `?cartId=`).

use catalog::menu::{BranchMenu, SelectionError};
use platform::{
    AppState,
    auth::{Principal, PrincipalKind},
    db::Tx,
    error::{Error, Result},
    events::{self, NewEvent},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    lifecycle::{Channel, OrderType},
    orders::model::LineRequest,
    policy,
    pricing::{self, LineInput, PricingInput},
    tables::{self, model::CartTable},
};
use model::{CartDto, CartLineDto, NewCartRequest, Who};
use repo::{CartLineRow, CartRow};

pub mod join;
pub mod model;
pub mod repo;
pub mod routes;
pub mod take;

pub(crate) use join::{join, open};
pub use take::{Take, checkout};

/// Open lines a cart may hold (an order takes at most 100 lines).
pub const MAX_OPEN_LINES: usize = 100;

/// How the caller stands to a cart: the branch's staff may see and change everything; a member
/// sees the cart and changes their own lines; anyone else does not find it.
enum Access {
    Staff,
    Member,
}

async fn access(tx: &mut Tx, who: &Principal, cart: &CartRow) -> Result<Access> {
    // Front-of-house staff: the roles that may place orders (not the kitchen or drivers).
    if policy::channel_of(who).is_ok_and(|c| c == Channel::Pos)
        && who.can_access_branch(cart.branch_id)
    {
        return Ok(Access::Staff);
    }
    if repo::member(tx, cart.id, who.id).await?.is_some() {
        return Ok(Access::Member);
    }
    Err(Error::NotFound)
}

async fn menu(state: &AppState, who: &Principal, branch_id: Uuid) -> Result<BranchMenu> {
    let served = catalog::cache::menu(state, branch_id).await?;
    if served.tenant_id != who.tenant_id {
        return Err(Error::NotFound);
    }
    Ok(serde_json::from_slice(&served.body).map_err(anyhow::Error::from)?)
}

/// The name the table sees for the caller: a guest's chosen name (or "Guest n"), else the
/// account's display name.
pub(crate) async fn display_name(
    tx: &mut Tx,
    who: &Principal,
    cart_id: Uuid,
    asked: Option<&str>,
) -> Result<String> {
    if let Some(name) = asked.map(str::trim).filter(|n| !n.is_empty()) {
        return Ok(name.to_string());
    }
    if who.kind == PrincipalKind::Guest {
        let n = repo::member_count(tx, cart_id).await? + 1;
        return Ok(format!("Guest {n}"));
    }
    Ok(identity::repo::user(tx, who.id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| who.role.as_str().to_string()))
}

pub(crate) async fn emit(
    tx: &mut Tx,
    who: &Principal,
    cart: &CartRow,
    kind: &str,
    extra: Value,
) -> Result<()> {
    let mut payload = json!({ "cartId": cart.id, "by": who.id });
    if let (Some(p), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    events::append(
        tx,
        NewEvent {
            tenant_id: who.tenant_id,
            branch_id: Some(cart.branch_id),
            channel: events::Channel::Orders,
            stream: &format!("cart:{}", cart.id),
            kind,
            // Not addressed to one person: the branch's staff and the cart's members (checked
            // when their stream opens) receive it.
            audience: None,
            payload,
        },
    )
    .await?;
    Ok(())
}

/// `POST /api/carts`.
pub async fn create(
    state: &AppState,
    who: &Principal,
    req: &NewCartRequest,
) -> Result<(CartDto, bool)> {
    let channel = policy::channel_of(who)?;
    let channel = match channel {
        // A guest opening a cart without a table is on the website; at a table, scan its QR.
        Channel::Qr => Channel::Web,
        c => c,
    };
    match who.kind {
        PrincipalKind::Staff => who.require_branch(req.branch_id)?,
        _ if who.branch_id.is_some_and(|b| b != req.branch_id) => return Err(Error::Forbidden),
        _ => {}
    }
    if req.table_id.is_some() && who.kind != PrincipalKind::Staff {
        return Err(Error::invalid(
            "tableId",
            "guests join a table's cart by its QR code",
        ));
    }
    if req.table_id.is_some() && req.order_type != OrderType::DineIn {
        return Err(Error::invalid("type", "a table's cart is dine_in"));
    }
    let mut tx = state.db.begin(who.scope()).await?;
    // The branch must exist and not be archived (the same look-up the menu uses).
    catalog::repo::branch_time_zone(&mut tx, req.branch_id).await?;
    if let Some(table) = req.table_id {
        let t = tables::repo::table(&mut tx, table, false).await?;
        if t.branch_id != req.branch_id {
            return Err(Error::invalid("tableId", "not a table of this branch"));
        }
    }
    let (cart, created) = open(
        &mut tx,
        who,
        req.branch_id,
        channel,
        req.order_type,
        req.table_id,
        None,
    )
    .await?;
    let menu = menu(state, who, cart.branch_id).await?;
    let dto = dto(&mut tx, &menu, cart).await?;
    tx.commit().await?;
    Ok((dto, created))
}

/// `GET /api/carts/{id}`.
pub async fn get(state: &AppState, who: &Principal, cart_id: Uuid) -> Result<CartDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let cart = repo::cart(&mut tx, cart_id, false).await?;
    access(&mut tx, who, &cart).await?;
    let menu = menu(state, who, cart.branch_id).await?;
    let dto = dto(&mut tx, &menu, cart).await?;
    tx.commit().await?;
    Ok(dto)
}

/// The cart for a change: locked, the caller allowed, open, at the version they saw.
async fn for_change(
    tx: &mut Tx,
    who: &Principal,
    cart_id: Uuid,
    expected: Option<i32>,
) -> Result<(CartRow, Access)> {
    let cart = repo::cart(tx, cart_id, true).await?;
    let access = access(tx, who, &cart).await?;
    if cart.status != "open" {
        return Err(Error::conflict(
            "cart_closed",
            format!("the cart is {}", cart.status),
        ));
    }
    if let Some(v) = expected
        && v != cart.version
    {
        return Err(Error::conflict(
            "cart_changed",
            format!(
                "the cart changed (version {} now, {v} expected): reload it",
                cart.version
            ),
        ));
    }
    Ok((cart, access))
}

/// A line as the menu accepted it: its unit price now and its names.
struct Priced {
    unit_price: i64,
    name: String,
    name_ar: Option<String>,
    kind: &'static str,
}

/// Checks and prices a line against the menu; a bad selection is a 422 naming the field.
fn checked(menu: &BranchMenu, l: &LineRequest) -> Result<Priced> {
    // A cart line has no discounts of its own: staff give them at checkout.
    if !l.discounts.is_empty() {
        return Err(Error::invalid(
            "discounts",
            "a cart line takes no discounts; staff give them at checkout",
        ));
    }
    let unit = menu.price(l.product_id, &l.selection).map_err(|e| {
        let field = match &e {
            SelectionError::UnknownProduct(_)
            | SelectionError::SoldOut { .. }
            | SelectionError::NotServedNow { .. } => "productId",
            SelectionError::SlotCount(_) | SelectionError::ForeignChoice(_) => "slots",
            _ => "options",
        };
        Error::invalid(field, e.to_string())
    })?;
    let (name, name_ar, kind) = menu
        .product_names(l.product_id)
        .ok_or_else(|| Error::invalid("productId", "not on this menu"))?;
    Ok(Priced {
        unit_price: unit.total,
        name,
        name_ar,
        kind,
    })
}

fn fields<'a>(l: &'a LineRequest, priced: &'a Priced) -> repo::CartLineFields<'a> {
    repo::CartLineFields {
        product_id: l.product_id,
        product_kind: priced.kind,
        name: &priced.name,
        name_ar: priced.name_ar.as_deref(),
        selection: &l.selection,
        quantity: l.quantity as i32,
        notes: l.notes.as_deref().filter(|n| !n.is_empty()),
        seat: l.seat,
        course: l.course,
        unit_price: priced.unit_price,
    }
}

/// `POST /api/carts/{id}/lines`.
pub async fn add_line(
    state: &AppState,
    who: &Principal,
    cart_id: Uuid,
    expected: Option<i32>,
    l: &LineRequest,
) -> Result<CartDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let (cart, _) = for_change(&mut tx, who, cart_id, expected).await?;
    let menu = menu(state, who, cart.branch_id).await?;
    let priced = checked(&menu, l)?;
    let open_lines = repo::cart_lines(&mut tx, cart.id)
        .await?
        .iter()
        .filter(|l| l.order_id.is_none())
        .count();
    if open_lines >= MAX_OPEN_LINES {
        return Err(Error::conflict(
            "cart_full",
            format!("a cart holds at most {MAX_OPEN_LINES} lines to order"),
        ));
    }
    let me = join(&mut tx, who, &cart, None).await?;
    let line_id = repo::insert_cart_line(
        &mut tx,
        who.tenant_id,
        cart.id,
        (who.id, &me.name),
        &fields(l, &priced),
    )
    .await?;
    let version = repo::bump_cart(&mut tx, cart.id, None).await?;
    emit(
        &mut tx,
        who,
        &cart,
        "cart.line_added",
        json!({ "version": version, "lineId": line_id, "addedBy": { "id": who.id, "name": me.name },
                "productId": l.product_id, "name": priced.name, "quantity": l.quantity,
                "unitPrice": priced.unit_price }),
    )
    .await?;
    let cart = repo::cart(&mut tx, cart.id, false).await?;
    let dto = dto(&mut tx, &menu, cart).await?;
    tx.commit().await?;
    Ok(dto)
}

/// A line the caller may change: not ordered yet, and their own unless they are staff.
async fn own_line(
    tx: &mut Tx,
    who: &Principal,
    cart: &CartRow,
    access: &Access,
    line_id: Uuid,
) -> Result<CartLineRow> {
    let line = repo::cart_line(tx, cart.id, line_id).await?;
    if matches!(access, Access::Member) && line.added_by != who.id {
        return Err(Error::Forbidden);
    }
    if line.order_id.is_some() {
        return Err(Error::conflict(
            "line_ordered",
            "the line was ordered already",
        ));
    }
    Ok(line)
}

/// `PUT /api/carts/{id}/lines/{line_id}`: the line replaced (re-priced at the menu's price now,
/// which is also how a guest accepts a changed price).
pub async fn replace_line(
    state: &AppState,
    who: &Principal,
    cart_id: Uuid,
    line_id: Uuid,
    expected: Option<i32>,
    l: &LineRequest,
) -> Result<CartDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let (cart, access) = for_change(&mut tx, who, cart_id, expected).await?;
    own_line(&mut tx, who, &cart, &access, line_id).await?;
    let menu = menu(state, who, cart.branch_id).await?;
    let priced = checked(&menu, l)?;
    repo::update_cart_line(&mut tx, line_id, &fields(l, &priced)).await?;
    let version = repo::bump_cart(&mut tx, cart.id, None).await?;
    emit(
        &mut tx,
        who,
        &cart,
        "cart.line_updated",
        json!({ "version": version, "lineId": line_id, "productId": l.product_id,
                "name": priced.name, "quantity": l.quantity, "unitPrice": priced.unit_price }),
    )
    .await?;
    let cart = repo::cart(&mut tx, cart.id, false).await?;
    let dto = dto(&mut tx, &menu, cart).await?;
    tx.commit().await?;
    Ok(dto)
}

/// `DELETE /api/carts/{id}/lines/{line_id}`.
pub async fn remove_line(
    state: &AppState,
    who: &Principal,
    cart_id: Uuid,
    line_id: Uuid,
    expected: Option<i32>,
) -> Result<CartDto> {
    let mut tx = state.db.begin(who.scope()).await?;
    let (cart, access) = for_change(&mut tx, who, cart_id, expected).await?;
    own_line(&mut tx, who, &cart, &access, line_id).await?;
    repo::delete_cart_line(&mut tx, line_id).await?;
    let version = repo::bump_cart(&mut tx, cart.id, None).await?;
    emit(
        &mut tx,
        who,
        &cart,
        "cart.line_removed",
        json!({ "version": version, "lineId": line_id }),
    )
    .await?;
    let menu = menu(state, who, cart.branch_id).await?;
    let cart = repo::cart(&mut tx, cart.id, false).await?;
    let dto = dto(&mut tx, &menu, cart).await?;
    tx.commit().await?;
    Ok(dto)
}

/// The cart as its members see it: every line with who added it, checked and priced against
/// the menu now, and the totals of what can be ordered.
async fn dto(tx: &mut Tx, menu: &BranchMenu, cart: CartRow) -> Result<CartDto> {
    let table = match cart.table_id {
        Some(id) => tables::repo::table(tx, id, false)
            .await
            .ok()
            .map(|t| CartTable {
                id: t.id,
                label: t.label,
                floor_area: t.floor_area,
            }),
        None => None,
    };
    let members = repo::members(tx, cart.id).await?;
    let mut lines = Vec::new();
    let mut inputs = Vec::new();
    for l in repo::cart_lines(tx, cart.id).await? {
        let now = menu.price(l.product_id, &l.selection);
        let (current, problem) = match &now {
            Ok(u) if u.total != l.unit_price => (
                Some(u.total),
                Some(format!(
                    "the price changed from {} to {}",
                    l.unit_price, u.total
                )),
            ),
            Ok(u) => (Some(u.total), None),
            Err(e) => (None, Some(e.to_string())),
        };
        if l.order_id.is_none()
            && let Ok(u) = &now
        {
            inputs.push(LineInput {
                unit_price: u.total,
                quantity: l.quantity as u32,
                discounts: vec![],
            });
        }
        lines.push(CartLineDto {
            id: l.id,
            product_id: l.product_id,
            product_kind: l.product_kind,
            details: now
                .is_ok()
                .then(|| menu.describe(l.product_id, &l.selection)),
            name: l.name,
            name_ar: l.name_ar,
            selection: l.selection.0,
            quantity: l.quantity,
            notes: l.notes,
            seat: l.seat,
            course: l.course,
            added_by: Who {
                id: l.added_by,
                name: l.added_by_name,
            },
            unit_price: l.unit_price,
            current_unit_price: current,
            problem,
            order_id: l.order_id,
        });
    }
    let totals = (!inputs.is_empty())
        .then(|| {
            pricing::price(&PricingInput {
                lines: inputs,
                order_discounts: vec![],
                service_charge_bp: 0,
                delivery_fee: 0,
                tip: 0,
                vat_rate_bp: menu.vat_rate_bp.max(0) as u32,
                vat_inclusive: menu.vat_inclusive,
            })
            .ok()
        })
        .flatten()
        .map(|p| p.totals);
    Ok(CartDto {
        id: cart.id,
        branch_id: cart.branch_id,
        channel: cart.channel,
        order_type: cart.order_type,
        table,
        status: cart.status,
        version: cart.version,
        currency: menu.currency.clone(),
        members,
        lines,
        totals,
        created_at: cart.created_at,
    })
}
