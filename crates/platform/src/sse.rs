//! The SSE hub: `GET /api/sse/{channel}?branchId=…` streams committed events of one channel,
//! scoped to the caller, with `id:` on every event so a reconnect with `Last-Event-ID` replays
//! what was missed from the outbox. A replay is bounded (`sse_replay_limit`): a client further
//! behind, or resuming after an event that is gone, gets `event: reset` and re-reads what it
//! shows. A client that falls too far behind the in-memory fan-out is disconnected (it can
//! resume); it never slows the hub. A principal holds at most `sse_streams_per_principal`
//! streams. Streams end on shutdown, when their token expires, and when its member is
//! disabled or its device revoked.

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    AppState,
    auth::{Auth, Claims, Principal, PrincipalKind, Role, policy, principal::bearer_str},
    error::{Error, Problem, Result},
    events::{
        Channel, Event, Position,
        repo::{self, ReplayKey},
    },
    http::{ApiPath, ApiQuery},
};

const RETRY: Duration = Duration::from_secs(3);
const HEARTBEAT: Duration = Duration::from_secs(15);
const STANDING_EVERY: Duration = Duration::from_secs(2);

/// Who sees which channel: managers everything, kitchen the kitchen, customers and guests their
/// own orders, queue entries and notifications.
fn channel_allowed(role: Role, channel: Channel) -> bool {
    use Channel::*;
    match role {
        Role::Owner | Role::Manager => true,
        Role::Cashier | Role::Waiter => matches!(channel, Orders | Kitchen | Queue | Notifications),
        Role::Kitchen => matches!(channel, Kitchen | Notifications),
        Role::Driver => matches!(channel, Orders | Notifications),
        Role::Customer | Role::Guest => matches!(channel, Orders | Queue | Notifications),
    }
}

/// What one client receives.
#[derive(Clone, Debug)]
struct Scope {
    tenant_id: Uuid,
    channel: Channel,
    branch_id: Option<Uuid>,
    /// For customers and guests: only events addressed to them…
    audience: Option<Uuid>,
    /// …and those of a cart they are a member of (`cart:<id>`, addressed to no one).
    cart_stream: Option<String>,
    /// The cart's branch, whose events a resume then reads.
    cart_branch: Option<Uuid>,
}

impl Scope {
    fn admits(&self, e: &Event) -> bool {
        e.tenant_id == self.tenant_id
            && e.channel == self.channel
            && self.branch_id.is_none_or(|b| e.branch_id == Some(b))
            && (self.audience.is_none_or(|a| e.audience == Some(a))
                || (e.audience.is_none() && self.cart_stream.as_deref() == Some(&e.stream)))
    }

    fn for_principal(p: &Principal, channel: Channel, branch_id: Option<Uuid>) -> Result<Self> {
        if !channel_allowed(p.role, channel) {
            return Err(Error::Forbidden);
        }
        let staff = p.kind == PrincipalKind::Staff;
        if staff {
            let branch =
                branch_id.ok_or_else(|| Error::invalid("branchId", "required for staff"))?;
            p.require_branch(branch)?;
        }
        Ok(Self {
            tenant_id: p.tenant_id,
            channel,
            branch_id,
            // Drivers, like guests, see only what is addressed to them: their own deliveries,
            // never another driver's or the branch's other orders.
            audience: (!staff || p.role == Role::Driver).then_some(p.id),
            cart_stream: None,
            cart_branch: None,
        })
    }

    /// The replay index that holds every event this scope admits: the audience's when only
    /// addressed events are admitted, else the branch's (the stream's, or its cart's).
    fn replay_key(&self) -> Option<ReplayKey> {
        match (self.audience, &self.cart_stream) {
            (Some(a), None) => Some(ReplayKey::Audience(a)),
            _ => self.branch_id.or(self.cart_branch).map(ReplayKey::Branch),
        }
    }

    /// Adds the events of a cart the caller is a member of, checked in the database now
    /// (`cart_members`, under the caller's tenant); not a member → 404, as for the cart itself.
    /// Staff see every event of their branch already, carts included.
    async fn with_cart(mut self, state: &AppState, p: &Principal, cart_id: Uuid) -> Result<Self> {
        if p.kind == PrincipalKind::Staff {
            return Ok(self);
        }
        let mut tx = state.db.begin(p.scope()).await?;
        let branch: Option<Uuid> = sqlx::query_scalar(
            "select c.branch_id from cart_members m join carts c on c.id = m.cart_id \
             where m.cart_id = $1 and m.member_id = $2",
        )
        .bind(cart_id)
        .bind(p.id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some(branch) = branch else {
            return Err(Error::NotFound);
        };
        self.cart_stream = Some(format!("cart:{cart_id}"));
        self.cart_branch = Some(branch);
        Ok(self)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct StreamQuery {
    /// The branch to follow (required for staff).
    pub branch_id: Option<Uuid>,
    /// A cart the caller (a guest or customer) is a member of: its events too (`orders` only).
    pub cart_id: Option<Uuid>,
    /// A single-use ticket from `POST /api/sse/tickets`, for clients that cannot send headers.
    pub ticket: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub ticket: String,
    pub expires_in: i64,
}

/// A short-lived, single-use ticket to open an event stream (EventSource cannot send an
/// `Authorization` header).
#[utoipa::path(post, path = "/api/sse/tickets", tag = "realtime", security(("bearer" = [])),
    responses((status = 201, body = Ticket), (status = 401, body = Problem)))]
pub async fn ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    _auth: Auth<policy::Authenticated>,
) -> Result<(StatusCode, Json<Ticket>)> {
    let token = bearer_str(&headers).ok_or(Error::Unauthorized("missing_token"))?;
    let claims = state.jwt.verify(token)?;
    Ok((
        StatusCode::CREATED,
        Json(Ticket {
            ticket: state.jwt.sign_ticket(&claims)?,
            expires_in: crate::auth::jwt::TICKET_TTL_SECS,
        }),
    ))
}

/// The caller's claims and when their stream must end: when the access token expires, or, for
/// a ticket (made from an access token that lives at most `ACCESS_TTL_SECS`), that long after
/// the ticket.
async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    ticket: Option<&str>,
) -> Result<(Claims, i64)> {
    let (claims, ends_at) = match bearer_str(headers) {
        Some(token) => {
            let c = state.jwt.verify(token)?;
            let ends_at = c.exp;
            (c, ends_at)
        }
        None => {
            let c = ticket_claims(state, ticket).await?;
            let ends_at = c.iat + crate::auth::jwt::ACCESS_TTL_SECS;
            (c, ends_at)
        }
    };
    state.sessions.check(&state.db, &claims).await?;
    Ok((claims, ends_at))
}

async fn ticket_claims(state: &AppState, ticket: Option<&str>) -> Result<Claims> {
    let ticket = ticket.ok_or(Error::Unauthorized("missing_token"))?;
    let claims = state.jwt.verify_ticket(ticket)?;
    let first_use =
        sqlx::query("insert into sse_ticket_uses (jti) values ($1) on conflict do nothing")
            .bind(claims.jti)
            .execute(&state.db.pool)
            .await?
            .rows_affected()
            == 1;
    if !first_use {
        return Err(Error::Unauthorized("ticket_used"));
    }
    Ok(claims)
}

/// Resolves when the stream must end: its token expired, or its member was disabled or its
/// device revoked (asked every [`STANDING_EVERY`], answered from the sessions cache).
async fn session_end(state: AppState, claims: Claims, ends_at: i64) {
    let expiry = async {
        let left = (ends_at - chrono::Utc::now().timestamp()).max(0) as u64;
        tokio::time::sleep(Duration::from_secs(left)).await;
    };
    let revoked = async {
        loop {
            tokio::time::sleep(STANDING_EVERY).await;
            if matches!(
                state.sessions.check(&state.db, &claims).await,
                Err(Error::Unauthorized(_))
            ) {
                return;
            }
        }
    };
    tokio::select! {
        () = expiry => {}
        () = revoked => {}
    }
}

fn last_event_id(headers: &HeaderMap) -> Result<Option<i64>> {
    headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| {
                    Error::bad_request("invalid_last_event_id", "Last-Event-ID must be an event id")
                })
        })
        .transpose()
}

fn to_sse(e: &Event) -> SseEvent {
    SseEvent::default().id(e.id.to_string()).data(e.json())
}

/// What a resuming client gets before the live events.
enum Replay {
    /// The events it missed (those its scope admits), and the position read up to.
    Missed(Vec<Event>, Position),
    /// `event: reset`: its event is gone or it is too far behind; it re-reads what it shows.
    Reset(&'static str),
}

/// The events the client missed after `last_id`, read through a tenant-leading index in its
/// tenant's RLS scope, at most `sse_replay_limit` of them.
async fn missed(state: &AppState, scope: &Scope, last_id: i64) -> Result<Replay> {
    let Some(key) = scope.replay_key() else {
        return Ok(Replay::Reset("no_replay"));
    };
    let limit = i64::from(state.settings.sse_replay_limit.max(1));
    let mut tx = state
        .db
        .begin(crate::db::TenantScope::tenant(scope.tenant_id))
        .await?;
    let Some(pos) = repo::position_of(&mut *tx, last_id).await? else {
        tx.commit().await?;
        return Ok(Replay::Reset("unknown_event"));
    };
    // One more than the limit tells "exactly the limit" from "further behind".
    let batch = repo::replay_after(&mut *tx, scope.tenant_id, key, pos, limit + 1).await?;
    tx.commit().await?;
    if batch.len() as i64 > limit {
        return Ok(Replay::Reset("too_far_behind"));
    }
    let end = batch.last().map_or(pos, Event::position);
    Ok(Replay::Missed(
        batch.into_iter().filter(|e| scope.admits(e)).collect(),
        end,
    ))
}

fn reset(reason: &str) -> SseEvent {
    SseEvent::default()
        .event("reset")
        .data(serde_json::json!({ "reason": reason }).to_string())
}

/// One counted stream of a principal, until the stream is dropped.
struct StreamPermit {
    state: AppState,
    principal: Uuid,
}

impl StreamPermit {
    fn acquire(state: &AppState, principal: Uuid) -> Result<Self> {
        if !state
            .sse_streams
            .open(principal, state.settings.sse_streams_per_principal)
        {
            return Err(Error::TooManyRequests {
                retry_after_secs: RETRY.as_secs(),
            });
        }
        Ok(Self {
            state: state.clone(),
            principal,
        })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        self.state.sse_streams.close(self.principal);
    }
}

/// Follow one channel live. Unknown channel → 404, another branch → 403.
#[utoipa::path(get, path = "/api/sse/{channel}", tag = "realtime", security(("bearer" = [])),
    params(("channel" = String, Path, description = "orders | kitchen | queue | notifications | inventory"), StreamQuery,
           ("Last-Event-ID" = Option<String>, Header, description = "resume after this event")),
    responses((status = 200, description = "text/event-stream; `event: reset` when a resume is beyond `sse_replay_limit`"),
              (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem),
              (status = 429, body = Problem, description = "the principal holds `sse_streams_per_principal` streams already")))]
pub async fn stream(
    State(state): State<AppState>,
    ApiPath(channel): ApiPath<String>,
    ApiQuery(q): ApiQuery<StreamQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = std::result::Result<SseEvent, Infallible>>>> {
    let channel = Channel::parse(&channel)
        .filter(|c| *c != Channel::Catalog)
        .ok_or(Error::NotFound)?;
    let resume = last_event_id(&headers)?;
    let (claims, ends_at) = principal(&state, &headers, q.ticket.as_deref()).await?;
    let principal = Principal::from(claims.clone());
    // Another brand's branch is answered like an unknown one, before anything is opened.
    if let Some(branch_id) = q.branch_id {
        state
            .branches
            .require(&state.db, &principal, branch_id)
            .await?;
    }
    let mut scope = Scope::for_principal(&principal, channel, q.branch_id)?;
    if let Some(cart_id) = q.cart_id {
        if channel != Channel::Orders {
            return Err(Error::invalid(
                "cartId",
                "cart events are on the orders channel",
            ));
        }
        scope = scope.with_cart(&state, &principal, cart_id).await?;
    }

    let permit = StreamPermit::acquire(&state, principal.id)?;
    // Subscribe before reading the table, so nothing falls between replay and live.
    let live = state.bus.subscribe();
    let (replayed, delivered) = match resume {
        Some(id) => match missed(&state, &scope, id).await? {
            Replay::Missed(events, end) => (events.iter().map(to_sse).collect(), Some(end)),
            Replay::Reset(reason) => (vec![reset(reason)], None),
        },
        None => (Vec::new(), None),
    };
    let hello = stream::iter([Ok(SseEvent::default().retry(RETRY).comment("connected"))]);
    let replay = stream::iter(replayed.into_iter().map(Ok));
    let live = stream::unfold(
        (live, delivered, scope, permit),
        |(mut rx, mut delivered, scope, permit)| async move {
            loop {
                match rx.recv().await {
                    Ok(e) => {
                        if delivered.is_some_and(|d| e.position() <= d) || !scope.admits(&e) {
                            continue;
                        }
                        delivered = Some(e.position());
                        return Some((Ok(to_sse(&e)), (rx, delivered, scope, permit)));
                    }
                    // Too slow (more than the bus's capacity behind): drop the client, which
                    // resumes with Last-Event-ID; or the bus is gone (shutdown).
                    Err(RecvError::Lagged(_) | RecvError::Closed) => return None,
                }
            }
        },
    );
    let shutdown = state.shutdown.clone();
    let ended = session_end(state.clone(), claims, ends_at);
    let events = hello.chain(replay).chain(live).take_until(async move {
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = ended => {}
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}
