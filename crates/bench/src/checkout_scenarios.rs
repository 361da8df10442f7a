//! Checkout: the demo cashier rings up an order of three lines, each with modifier
//! options, and takes cash for it in the same request — `POST /api/orders` with a new
//! `Idempotency-Key` every time, so every request is a new order: the idempotency claim, pricing
//! from the branch's menu, the order, its lines and status history, the day's order number,
//! the payment, the sale and payment journal entries and the `orders` event, in one
//! transaction. Measured at 16 connections against pgbench's TPC-B-like load at 16 clients in
//! the same run.
//!
//! Afterwards the books are checked: the journal balances, and every order of the run is paid
//! exactly (a fast checkout that lost money would not count).

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, ensure};
use catalog::menu::{BranchMenu, ItemEntry, Selection};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{
    cluster::BenchCluster,
    loadgen::{self, LoadConfig, LoadResult, Target},
    scenarios,
    sous_proc::Launcher,
};

const STEP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
pub struct CheckoutConfig {
    pub connections: usize,
    pub lines: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub max_requests: u64,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct CheckoutBench {
    pub branch_id: Uuid,
    /// What one order looks like: its lines and total (minor units).
    pub lines: Vec<Value>,
    pub order_total: i64,
    pub load: LoadResult,
    /// Orders of the branch after the run (warm-up, the trial order and the window).
    pub orders_written: i64,
    /// Of those, orders whose payments do not add up to their total (must be 0).
    pub orders_not_paid_exactly: i64,
    /// The sum of every posting in the journal (must be 0).
    pub trial_balance: i64,
}

pub async fn checkout(
    launcher: &Launcher,
    env: &BenchCluster,
    cfg: &CheckoutConfig,
) -> anyhow::Result<CheckoutBench> {
    let server = launcher.start().await?;
    let outcome = run(server.addr, env, cfg).await;
    server.stop().await?;
    outcome
}

async fn run(
    addr: SocketAddr,
    env: &BenchCluster,
    cfg: &CheckoutConfig,
) -> anyhow::Result<CheckoutBench> {
    let login = loadgen::fetch_json(
        &Target::post_json(
            addr,
            "/api/auth/login",
            json!({
                "email": identity::seed::demo_email(platform::auth::Role::Cashier),
                "password": identity::seed::DEMO_PASSWORD,
            }),
        ),
        STEP_TIMEOUT,
    )
    .await?;
    let token = login["accessToken"]
        .as_str()
        .context("login: no access_token")?
        .to_owned();
    let branch_id = scenarios::demo_branch(addr).await?;
    let menu: BranchMenu = serde_json::from_value(
        loadgen::fetch_json(
            &Target::get(addr, format!("/api/branches/{branch_id}/menu")),
            STEP_TIMEOUT,
        )
        .await?,
    )
    .context("the menu's shape")?;
    let lines = order_lines(&menu, cfg.lines)?;
    let body = json!({
        "branchId": branch_id,
        "type": "takeaway",
        "lines": lines,
        "payment": { "method": "cash" },
    });
    let target = Target::post_json(addr, "/api/orders", body)
        .with_bearer(&token)?
        .with_fresh_idempotency_key();
    // One order outside the measurement: the request is valid and what it costs is known.
    let order = loadgen::fetch_json(&target, STEP_TIMEOUT).await?;
    let order_total = order["total"].as_i64().context("an order has a total")?;
    ensure!(
        order["due"] == 0,
        "the trial order was not paid in full: {order}"
    );
    // Like the TPC-B run it is divided by (`baseline::pgbench`).
    crate::baseline::checkpoint(env.pg()).await?;
    let load = loadgen::run(
        &target,
        &LoadConfig {
            connections: cfg.connections,
            warmup: cfg.warmup,
            duration: cfg.duration,
            max_requests: cfg.max_requests,
            request_timeout: Duration::from_secs(10),
        },
    )
    .await?;
    let books = books(env, branch_id).await?;
    Ok(CheckoutBench {
        branch_id,
        lines,
        order_total,
        load,
        orders_written: books.0,
        orders_not_paid_exactly: books.1,
        trial_balance: books.2,
    })
}

/// The first `n` orderable items of menus on now that have modifier groups, each with the
/// options a guest who takes the defaults would pick — at least one per group, so every line
/// carries modifiers.
fn order_lines(menu: &BranchMenu, n: usize) -> anyhow::Result<Vec<Value>> {
    let items = menu
        .menus
        .iter()
        .filter(|m| m.available_now)
        .flat_map(|m| &m.categories)
        .flat_map(|c| &c.items)
        .filter(|i| !i.sold_out && !i.modifier_group_ids.is_empty());
    let mut lines = Vec::with_capacity(n);
    for item in items {
        let selection = Selection {
            options: options_for(menu, item),
            slots: vec![],
        };
        // Skip an item whose choice the menu itself would refuse (e.g. a sold-out option).
        if menu.price(item.id, &selection).is_err() {
            continue;
        }
        lines.push(json!({ "productId": item.id, "options": selection.options, "quantity": 1 }));
        if lines.len() == n {
            return Ok(lines);
        }
    }
    anyhow::bail!("the demo menu has fewer than {n} orderable items with modifiers")
}

fn options_for(menu: &BranchMenu, item: &ItemEntry) -> Vec<Uuid> {
    let mut chosen = vec![];
    for gid in &item.modifier_group_ids {
        let Some(group) = menu.modifier_groups.iter().find(|g| &g.id == gid) else {
            continue;
        };
        let mut options: Vec<_> = group.options.iter().filter(|o| !o.sold_out).collect();
        options.sort_by_key(|o| !o.default);
        let take = (group.min_select.max(1)).min(group.max_select.max(1)) as usize;
        chosen.extend(options.iter().take(take).map(|o| o.id));
    }
    chosen
}

/// (orders of the branch, orders not paid exactly, the journal's sum), read as the owner.
async fn books(env: &BenchCluster, branch_id: Uuid) -> anyhow::Result<(i64, i64, i64)> {
    let mut conn = PgConnection::connect(&env.owner_url()).await?;
    let row: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from orders where branch_id = $1), \
                (select count(*) from orders o where o.branch_id = $1 \
                   and o.total <> (select coalesce(sum(p.amount), 0) from payments p \
                                   where p.tenant_id = o.tenant_id and p.order_id = o.id)), \
                (select coalesce(sum(amount), 0)::bigint from journal_lines)",
    )
    .bind(branch_id)
    .fetch_one(&mut conn)
    .await
    .context("checking the books after the checkout load")?;
    conn.close().await?;
    Ok(row)
}
