//! Reading event streams: a minimal SSE client, the waits on it the tests share, and a way to
//! write an event straight into the outbox.

use std::time::Duration;

use futures::StreamExt;
use platform::{
    db::TenantScope,
    events::{Channel, NewEvent, append},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;

/// How long a test waits for an event it expects.
pub const WAIT: Duration = Duration::from_secs(5);

/// A minimal SSE reader over a streaming response.
pub struct SseClient {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: String,
}

impl SseClient {
    pub async fn open(
        app: &TestApp,
        path: &str,
        token: Option<&str>,
        last_id: Option<i64>,
    ) -> Result<Self, reqwest::Response> {
        let mut req = app
            .client
            .get(format!("{}{path}", app.base))
            .header("accept", "text/event-stream");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(id) = last_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.unwrap();
        if res.status() != 200 {
            return Err(res);
        }
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Ok(Self {
            body: res.bytes_stream().boxed(),
            buf: String::new(),
        })
    }

    /// The branch's `orders` stream as `token` follows it (a till, a guest), which must open.
    pub async fn branch_orders(app: &TestApp, branch: Uuid, token: &str) -> Self {
        Self::open(
            app,
            &format!("/api/sse/orders?branchId={branch}"),
            Some(token),
            None,
        )
        .await
        .unwrap_or_else(|r| panic!("stream refused: {}", r.status()))
    }

    /// The next event with data, or `None` when the stream ends or `wait` passes.
    pub async fn next(&mut self, wait: Duration) -> Option<(i64, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let block = self.next_block(deadline).await?;
            if let (Some(id), false) = (block.id, block.data.is_empty()) {
                return Some((id, serde_json::from_str(&block.data).unwrap()));
            }
        }
    }

    /// The next named event (`event: <name>`) with its data, skipping the rest.
    pub async fn next_named(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let block = self.next_block(deadline).await?;
            if block.event.as_deref() == Some(name) {
                return Some(serde_json::from_str(&block.data).unwrap());
            }
        }
    }

    async fn next_block(&mut self, deadline: tokio::time::Instant) -> Option<Block> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let text: String = self.buf.drain(..end + 2).collect();
                let mut block = Block::default();
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        block.id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        block.event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        block.data.push_str(v.trim_start());
                    }
                }
                return Some(block);
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

/// One event of the stream as sent.
#[derive(Default)]
struct Block {
    event: Option<String>,
    id: Option<i64>,
    data: String,
}

impl SseClient {
    /// The next event of `kind` whose payload passes `pred`, skipping others (a stream opened
    /// just after a change may still receive that change's events).
    pub async fn next_where(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..20 {
            let (_, e) = self
                .next(WAIT)
                .await
                .unwrap_or_else(|| panic!("no {kind} event"));
            if e["type"] == kind && pred(&e["payload"]) {
                return e;
            }
        }
        panic!("no {kind} event among the next 20");
    }

    /// The next event of `kind` on the stream, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        self.next_where(kind, |_| true).await
    }
}

/// Appends a test event (an `order.status_changed` numbered `n`) to the outbox of the demo brand;
/// its id.
pub async fn emit(
    app: &TestApp,
    branch: Option<Uuid>,
    channel: Channel,
    audience: Option<Uuid>,
    n: i64,
) -> i64 {
    let tenant = app.demo.tenant_id;
    let mut tx = app
        .state
        .db
        .begin(TenantScope::tenant(tenant))
        .await
        .unwrap();
    let id = append(
        &mut tx,
        NewEvent {
            tenant_id: tenant,
            branch_id: branch,
            channel,
            stream: "order:test",
            kind: "order.status_changed",
            audience,
            payload: json!({ "n": n, "status": "placed" }),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}
