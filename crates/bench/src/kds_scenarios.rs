//! The kitchen display: an order accepted → its ticket visible to a KDS screen. A
//! kitchen login follows the branch's `kitchen` stream (`/api/sse/kitchen`); meanwhile orders
//! flow through the branch at a steady rate — each placed by the cashier (`POST /api/orders`,
//! takeaway) and accepted by the manager (`POST /api/orders/{id}/status`). The latency of an
//! order is from the moment its accept request is sent to the arrival of its first
//! `ticket.created` event at the screen: the acceptance's transaction, the trigger that makes
//! the tickets, NOTIFY, the listener and the SSE hub.
//!
//! Bounded: `orders` orders at `rate` a second at most, each request with a timeout, and a
//! fixed wait for the last tickets; loopback only.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    loadgen::{self, Target},
    scenarios,
    sous_proc::Launcher,
    sse_fanout::SseStream,
};

const STEP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
pub struct KdsConfig {
    /// Orders placed and accepted per second.
    pub rate: u32,
    pub orders: u32,
    /// How long after the last acceptance the screen may still show tickets.
    pub drain: Duration,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct KdsBench {
    pub branch_id: Uuid,
    pub rate_target: u32,
    /// Orders accepted per second, as achieved.
    pub rate_achieved: f64,
    pub orders_accepted: u64,
    pub tickets_seen: u64,
    /// Orders that failed to be placed or accepted.
    pub errors: u64,
    pub first_error: Option<String>,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub async fn kds(launcher: &Launcher, cfg: &KdsConfig) -> anyhow::Result<KdsBench> {
    let server = launcher.start().await?;
    let outcome = run(server.addr, cfg).await;
    server.stop().await?;
    outcome
}

async fn login(addr: SocketAddr, role: platform::auth::Role) -> anyhow::Result<String> {
    let body = loadgen::fetch_json(
        &Target::post_json(
            addr,
            "/api/auth/login",
            json!({ "email": identity::seed::demo_email(role),
                    "password": identity::seed::DEMO_PASSWORD }),
        ),
        STEP_TIMEOUT,
    )
    .await?;
    Ok(body["accessToken"]
        .as_str()
        .context("login: no access_token")?
        .to_owned())
}

/// When each order's accept was sent, and when its first ticket reached the screen.
#[derive(Default)]
struct Times {
    accepted: HashMap<String, Instant>,
    seen: HashMap<String, Instant>,
}

async fn run(addr: SocketAddr, cfg: &KdsConfig) -> anyhow::Result<KdsBench> {
    use platform::auth::Role;
    let (cashier, manager, kitchen) = (
        login(addr, Role::Cashier).await?,
        login(addr, Role::Manager).await?,
        login(addr, Role::Kitchen).await?,
    );
    let branch_id = scenarios::demo_branch(addr).await?;
    // The benchmark cluster seeds the brand and its menu only: the kitchen's stations are set
    // up here, as a manager would (an item goes to its station hint's station, else the first).
    for (code, name) in [("hot", "Hot line"), ("grill", "Grill"), ("cold", "Cold")] {
        let (status, _, body) = loadgen::fetch(
            &Target::post_json(
                addr,
                format!("/api/branches/{branch_id}/kitchen/stations"),
                json!({ "code": code, "name": name }),
            )
            .with_bearer(&manager)?,
            STEP_TIMEOUT,
        )
        .await?;
        anyhow::ensure!(
            status.is_success() || status.as_u16() == 409,
            "adding the {code} station: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let menu: Value = loadgen::fetch_json(
        &Target::get(addr, format!("/api/branches/{branch_id}/menu")),
        STEP_TIMEOUT,
    )
    .await?;
    // Two items without required choices: one line each, routed to their stations.
    let lines: Vec<Value> = menu["menus"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["availableNow"] == true)
        .flat_map(|m| m["categories"].as_array().into_iter().flatten())
        .flat_map(|c| c["items"].as_array().into_iter().flatten())
        .filter(|i| {
            i["soldOut"] != true && i["modifierGroupIds"].as_array().is_some_and(Vec::is_empty)
        })
        .take(2)
        .map(|i| json!({ "productId": i["id"], "quantity": 1 }))
        .collect();
    anyhow::ensure!(
        !lines.is_empty(),
        "the demo menu has no item without choices"
    );
    let place = Target::post_json(
        addr,
        "/api/orders",
        json!({ "branchId": branch_id, "type": "takeaway", "lines": lines }),
    )
    .with_bearer(&cashier)?
    .with_fresh_idempotency_key();

    let times = Arc::new(Mutex::new(Times::default()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let screen = SseStream::open(
        addr,
        &format!("/api/sse/kitchen?branchId={branch_id}"),
        &format!("Bearer {kitchen}"),
    )
    .await
    .context("opening the KDS stream")?;
    let reader = tokio::spawn(read_screen(screen, times.clone(), stop_rx));

    let mut ticker =
        tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(cfg.rate.max(1))));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let mut flows = tokio::task::JoinSet::new();
    for _ in 0..cfg.orders {
        ticker.tick().await;
        flows.spawn(flow(addr, place.clone(), manager.clone(), times.clone()));
    }
    let (mut accepted, mut errors, mut first_error) = (0u64, 0u64, None);
    while let Some(done) = flows.join_next().await {
        match done.map_err(anyhow::Error::from).and_then(|r| r) {
            Ok(()) => accepted += 1,
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let elapsed = started.elapsed();
    // The last tickets, within the drain window.
    let deadline = Instant::now() + cfg.drain;
    while Instant::now() < deadline {
        let all_seen = {
            let t = times.lock().expect("times");
            t.accepted.keys().all(|id| t.seen.contains_key(id))
        };
        if all_seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    let screen_error = reader.await?;

    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let t = times.lock().expect("times");
    let mut seen = 0u64;
    for (id, at) in &t.accepted {
        if let Some(shown) = t.seen.get(id) {
            seen += 1;
            hist.record(shown.saturating_duration_since(*at).as_micros().max(1) as u64)?;
        }
    }
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    if let Some(e) = screen_error {
        first_error.get_or_insert(e);
    }
    Ok(KdsBench {
        branch_id,
        rate_target: cfg.rate,
        rate_achieved: accepted as f64 / elapsed.as_secs_f64(),
        orders_accepted: accepted,
        tickets_seen: seen,
        errors,
        first_error,
        p50_ms: ms(0.5),
        p95_ms: ms(0.95),
        p99_ms: ms(0.99),
        max_ms: hist.max() as f64 / 1000.0,
    })
}

/// One order: placed, then accepted, the accept's send time noted first (its ticket may reach
/// the screen before the answer reaches us).
async fn flow(
    addr: SocketAddr,
    place: Target,
    manager: String,
    times: Arc<Mutex<Times>>,
) -> anyhow::Result<()> {
    let order = loadgen::fetch_json(&place, STEP_TIMEOUT).await?;
    let id = order["id"]
        .as_str()
        .context("an order has an id")?
        .to_owned();
    let accept = Target::post_json(
        addr,
        format!("/api/orders/{id}/status"),
        json!({ "status": "accepted" }),
    )
    .with_bearer(&manager)?;
    times
        .lock()
        .expect("times")
        .accepted
        .insert(id.clone(), Instant::now());
    if let Err(e) = loadgen::fetch_json(&accept, STEP_TIMEOUT).await {
        times.lock().expect("times").accepted.remove(&id);
        return Err(e);
    }
    Ok(())
}

/// The KDS screen: notes when each order's first `ticket.created` arrives, until stopped.
/// Answers the error that ended the stream early, if one did.
async fn read_screen(
    mut screen: SseStream,
    times: Arc<Mutex<Times>>,
    mut stop: watch::Receiver<bool>,
) -> Option<String> {
    let mut messages = Vec::new();
    loop {
        tokio::select! {
            chunk = screen.next_chunk() => {
                let at = Instant::now();
                match chunk {
                    Ok(Some(bytes)) => {
                        screen.parser.push(&bytes, &mut messages);
                        for m in messages.drain(..) {
                            let Some(event) = m.data.as_deref()
                                .and_then(|d| serde_json::from_str::<Value>(d).ok()) else {
                                continue;
                            };
                            if event["type"] != "ticket.created" {
                                continue;
                            }
                            if let Some(order) = event["payload"]["orderId"].as_str() {
                                times.lock().expect("times").seen.entry(order.to_owned()).or_insert(at);
                            }
                        }
                    }
                    Ok(None) => return Some("the server ended the KDS stream".into()),
                    Err(e) => return Some(format!("the KDS stream failed: {e:#}")),
                }
            }
            _ = stop.changed() => return None,
        }
    }
}
